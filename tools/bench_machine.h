// What the machine did while boai-bench measured. On a shared VM the host may
// take part of the CPU time away from it ("steal" in /proc/stat, vmstat's `st`):
// a ratio against a baseline measured in the same run absorbs a machine that is
// slow throughout, but not a neighbour taking the cores for some seconds, so every
// figure is printed with the host's share of the time it was measured in.
#ifndef BOAI_TOOLS_BENCH_MACHINE_H_
#define BOAI_TOOLS_BENCH_MACHINE_H_

#include <cstdint>
#include <optional>
#include <string>

namespace boai::bench {

class StealMeter {
 public:
  StealMeter();  // starts counting

  // The host's share of all CPU time since construction, in percent; nullopt
  // where /proc/stat cannot be read or no time has passed.
  std::optional<double> Percent() const;
  // "host steal 3%" (or "host steal unknown"), for the end of a printed line.
  std::string Describe() const;

 private:
  struct Times {
    uint64_t steal = 0, total = 0;
    bool ok = false;
  };
  static Times Read();

  Times start_;
};

}  // namespace boai::bench

#endif  // BOAI_TOOLS_BENCH_MACHINE_H_
