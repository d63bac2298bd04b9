#include "tools/bench_machine.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace boai::bench {

StealMeter::StealMeter() : start_(Read()) {}

// The first line of /proc/stat: "cpu  user nice system idle iowait irq softirq
// steal guest guest_nice", in clock ticks since boot. Guest time is already
// counted in user, so the total is the first eight.
StealMeter::Times StealMeter::Read() {
  std::ifstream in("/proc/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  std::istringstream fields(line);
  std::string label;
  fields >> label;
  if (label != "cpu") return {};
  Times t;
  for (int i = 0; i < 8; ++i) {
    uint64_t v = 0;
    if (!(fields >> v)) return {};
    t.total += v;
    if (i == 7) t.steal = v;
  }
  t.ok = true;
  return t;
}

std::optional<double> StealMeter::Percent() const {
  const Times now = Read();
  if (!start_.ok || !now.ok || now.total <= start_.total) return std::nullopt;
  return 100.0 * static_cast<double>(now.steal - start_.steal) /
         static_cast<double>(now.total - start_.total);
}

std::string StealMeter::Describe() const {
  const std::optional<double> p = Percent();
  if (!p.has_value()) return "host steal unknown";
  char buf[48];
  std::snprintf(buf, sizeof(buf), "host steal %.0f%%", *p);
  return buf;
}

}  // namespace boai::bench
