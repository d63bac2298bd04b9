#include "ledger/books/demo.h"

#include <cstdio>

#include "ledger/hash.h"
#include "ledger/strings.h"

namespace boai::books {
namespace {

constexpr char kAdmin[] = "admin";
constexpr char kClerk[] = "clerk.wang";
constexpr char kApprover[] = "approver.li";

int64_t Yuan(int64_t y) { return y * 100; }

std::string Hex(std::string_view seed) { return ledger::HashToHex(ledger::Sha256(seed)); }

class Builder {
 public:
  std::vector<DemoOp> ops;

  void Add(std::string kind, std::string by, Body body, std::string key,
           std::optional<PersonalData> person = std::nullopt, std::string ref = "") {
    ops.push_back(DemoOp{std::move(kind), std::move(by), std::move(body), std::move(key),
                         std::move(person), std::move(ref), false});
  }

  // A gift. With a person, the donor's display is their masked name unless
  // `anonymous`; without one (institutions, anonymous cash) the display is given.
  void Gift(std::string date, std::string channel, std::string fund, int64_t yuan, std::string key,
            std::optional<PersonalData> donor, std::string display, int64_t receipt,
            std::string no_receipt = "", std::string campaign = "",
            std::optional<InKind> in_kind = std::nullopt, std::string income = "donation") {
    books::Gift g;
    g.date = std::move(date);
    g.channel = std::move(channel);
    g.income = std::move(income);
    g.fund = std::move(fund);
    g.campaign = std::move(campaign);
    g.amount = Yuan(yuan);
    g.donor.display = display.empty() && donor.has_value() ? MaskedName(donor->name) : display;
    g.donor.commitment = Hex("boai-demo/" + key);  // replaced for registered people
    if (receipt > 0) {
      g.receipt_book = "HB2019";
      g.receipt_number = receipt;
    } else {
      g.no_receipt = no_receipt;
    }
    g.in_kind = std::move(in_kind);
    Add("gift", kClerk, g, std::move(key), std::move(donor));
  }

  // A payment request by the clerk and its approval by the approver.
  void Pay(std::string date, std::string fund, int64_t yuan, std::string purpose,
           std::string method, std::string key, std::optional<PersonalData> payee,
           std::string payee_label, std::optional<Grant> grant = std::nullopt) {
    PaymentRequest p;
    p.date = date;
    p.fund = std::move(fund);
    p.purpose = std::move(purpose);
    p.payee = std::move(payee_label);  // replaced by the pseudonym for registered people
    p.expires = date.substr(0, 4) + "-12-31";
    p.method = std::move(method);
    p.amount = Yuan(yuan);
    p.grant = std::move(grant);
    Add("payment.request", kClerk, p, key, std::move(payee));
    PaymentDecision d;
    d.date = date;
    Add("payment.approve", kApprover, d, "approve/" + key, std::nullopt, key);
  }
};

}  // namespace

std::vector<DemoOp> DemoDataset() {
  Builder b;
  // The books: the standard chart, the funds, the programme rules, the campaign.
  for (AccountOpen& a : StandardChart()) {
    std::string key = "account/" + a.id;
    b.Add("account.open", kAdmin, std::move(a), std::move(key));
  }
  struct F {
    const char* id;
    const char* name;
    const char* purpose;
    bool restricted;
  };
  for (const F& f : std::initializer_list<F>{
           {"fund.unrestricted", "非限定性资金 Unrestricted funds", "the society's general work",
            false},
           {"fund.spring-relief", "博爱送万家 Spring Festival relief",
            "cash and goods to poor families at Spring Festival", true},
           {"fund.village-pairing", "闫楼村结对帮扶 Yanlou village pairing",
            "humanitarian relief boxes for 20 poor households", true},
           {"fund.guangming", "光明行 Cataract surgery (99 Giving Day)",
            "cataract surgery for poor patients", true},
           {"fund.little-angel", "小天使基金 Little Angel leukaemia aid",
            "grants to children with leukaemia", true},
           {"fund.first-aid-base-1", "应急救护培训基地一 First-aid training base 1",
            "equipping first-aid training base 1", true},
           {"fund.first-aid-base-2", "应急救护培训基地二 First-aid training base 2",
            "equipping first-aid training base 2", true}}) {
    b.Add("fund.open", kAdmin, FundOpen{f.id, f.name, f.purpose, f.restricted},
          std::string("fund/") + f.id);
  }
  b.Add("programme.rules", kAdmin,
        ProgrammeRules{"prog.little-angel",
                       "小天使基金 Little Angel",
                       "fund.little-angel",
                       "2019-01-01",
                       1,
                       0,
                       14,
                       Yuan(30000),
                       {Tier{"standard", Yuan(30000), "", false}}},
        "programme/prog.little-angel/1");
  b.Add("programme.rules", kAdmin,
        ProgrammeRules{"prog.little-angel",
                       "小天使基金 Little Angel",
                       "fund.little-angel",
                       "2021-01-01",
                       2,
                       0,
                       18,
                       Yuan(50000),
                       {Tier{"standard", Yuan(30000), "", false},
                        Tier{"transplant_top_up", Yuan(20000), "standard", true}}},
        "programme/prog.little-angel/2");
  b.Add("campaign.open", kAdmin,
        CampaignOpen{"camp.99-2019", "2019 九九公益日 · 光明行 99 Giving Day", "fund.guangming",
                     "腾讯公益 Tencent Gongyi", "2019-09-07", "2019-09-09", Yuan(20000)},
        "campaign/camp.99-2019");

  // 博爱送万家: cash 34,000, bank 36,000, goods 30,000 in donations; 100,000 allocated.
  auto person = [](const char* name, const char* phone, const char* id, const char* address) {
    return PersonalData{name, phone, id, address, ""};
  };
  b.Gift("2019-01-10", "cash", "fund.spring-relief", 10000, "HB2019-0001",
         person("张伟", "13800000001", "410000198001010011", "某县城关镇幸福路1号"), "", 1);
  b.Gift("2019-01-10", "cash", "fund.spring-relief", 6000, "HB2019-0002",
         person("李娜", "13800000002", "410000198502020022", "某县城关镇文化路2号"), "", 2);
  b.Gift("2019-01-11", "cash", "fund.spring-relief", 5000, "HB2019-0003",
         person("王芳", "13800000003", "410000199003030033", "某县东城街道3号"), "", 3);
  b.Gift("2019-01-11", "cash", "fund.spring-relief", 8000, "CASHBOX-2019-01-11", std::nullopt,
         "爱心人士", 0, "anonymous");
  b.Gift("2019-01-12", "cash", "fund.spring-relief", 3000, "HB2019-0004",
         person("刘洋", "13800000004", "410000197804040044", "某县西城街道4号"), "", 4);
  b.Gift("2019-01-12", "cash", "fund.spring-relief", 2000, "HB2019-0005",
         person("陈静", "13800000005", "410000199205050055", "某县南关5号"), "", 5);
  b.Gift("2019-01-14", "bank", "fund.spring-relief", 36000, "BANK-20190114-0001", std::nullopt,
         "豫东商贸有限公司", 6);
  b.Gift("2019-01-15", "in_kind", "fund.spring-relief", 30000, "HB2019-0007", std::nullopt,
         "某粮油有限公司", 7, "", "",
         InKind{"米面油礼包 rice, flour and oil parcels", "份", "document", 600,
                Hex("invoice HB2019-0007")});
  b.Gift("2019-01-08", "bank", "fund.spring-relief", 100000, "ALLOC-2019-SPRING", std::nullopt,
         "省红十字会 Provincial Red Cross", 0, "not_a_donation", "", std::nullopt, "grant");

  // Unrestricted gifts, with one keyed wrongly, reversed and recorded again.
  PersonalData zhao = person("赵磊", "13800000006", "410000198806060066", "某县北关6号");
  b.Gift("2019-03-05", "cash", "fund.unrestricted", 8000, "HB2019-0008", zhao, "", 8);
  b.Add("reversal", kClerk,
        Reversal{"2019-03-06", "amount keyed as 8,000.00 instead of 800.00 yuan", 0, {}},
        "reverse/HB2019-0008", std::nullopt, "HB2019-0008");
  b.Add("receipt.void", kClerk,
        ReceiptVoid{"2019-03-06", "HB2019", "wrong amount printed; paper copy cancelled", 8},
        "void/HB2019-0008");
  b.Gift("2019-03-06", "cash", "fund.unrestricted", 800, "HB2019-0009", zhao, "", 9);
  b.Gift("2019-04-18", "bank", "fund.unrestricted", 4200, "HB2019-0010",
         person("孙丽", "13800000007", "410000198707070077", "某县城关镇7号"), "", 10);
  b.Gift("2019-05-20", "bank", "fund.unrestricted", 5000, "HB2019-0011",
         person("周杰", "13800000008", "410000197908080088", "某县东城街道8号"), "", 11);
  b.Gift("2019-06-01", "cash", "fund.unrestricted", 5000, "CASHBOX-2019-06-01", std::nullopt,
         "爱心人士", 0, "anonymous");

  // 闫楼村: 20 humanitarian relief boxes in kind, valued at fair value.
  b.Gift("2019-01-16", "in_kind", "fund.village-pairing", 5000, "HB2019-0012", std::nullopt,
         "爱心企业", 12, "", "",
         InKind{"人道救助箱 humanitarian relief boxes", "箱", "fair_value", 20,
                Hex("price survey 2019-01")});

  // 九九公益日: 12 online gifts, 15,700; matching 4,600 less 300 clawed back.
  struct Online {
    const char* date;
    int64_t yuan;
    const char* name;
    const char* phone;
  };
  int n = 0;
  for (const Online& o :
       std::initializer_list<Online>{{"2019-09-07", 5000, "吴刚", "13900000001"},
                                     {"2019-09-07", 3000, "郑爽", "13900000002"},
                                     {"2019-09-07", 2000, "", ""},
                                     {"2019-09-08", 1500, "冯军", "13900000003"},
                                     {"2019-09-08", 1000, "", ""},
                                     {"2019-09-08", 1000, "褚红", "13900000004"},
                                     {"2019-09-08", 800, "", ""},
                                     {"2019-09-09", 500, "卫东", "13900000005"},
                                     {"2019-09-09", 400, "", ""},
                                     {"2019-09-09", 200, "蒋勤", "13900000006"},
                                     {"2019-09-09", 200, "", ""},
                                     {"2019-09-09", 100, "沈月", "13900000007"}}) {
    ++n;
    std::string key = StrCat("TX99-2019-", 1000 + n);
    std::optional<PersonalData> donor;
    if (*o.name) donor = PersonalData{o.name, o.phone, "", "", ""};
    if (n == 1) {
      b.Gift(o.date, "online", "fund.guangming", o.yuan, key, donor, "", 13, "", "camp.99-2019");
    } else {
      b.Gift(o.date, "online", "fund.guangming", o.yuan, key, donor, *o.name ? "" : "爱心人士", 0,
             *o.name ? "declined" : "anonymous", "camp.99-2019");
    }
  }
  int m = 0;
  for (int64_t yuan : {2000, 1500, 800, 300}) {
    ++m;
    b.Add("match", kClerk,
          Match{"2019-09-09", "camp.99-2019", StrCat("MATCH-99-", m), Yuan(yuan), {}},
          StrCat("MATCH-99-", m));
  }
  b.Add("match.clawback", kClerk,
        Clawback{"2019-09-30",
                 "camp.99-2019",
                 "拆单套捐: one gift split across accounts to draw matching",
                 Yuan(300),
                 {}},
        "CLAWBACK-99-4");
  b.Add(
      "settlement", kClerk,
      Settlement{
          "2019-10-15", "camp.99-2019", Hex("settlement-2019-99.csv"), Yuan(15700), Yuan(4300), {}},
      "SETTLE-99-2019");

  // Grants received.
  b.Gift("2019-03-01", "bank", "fund.little-angel", 270000, "ALLOC-2019-LITTLE-ANGEL", std::nullopt,
         "中国红十字基金会 Red Cross Foundation of China", 0, "not_a_donation", "", std::nullopt,
         "grant");
  b.Gift("2019-06-01", "bank", "fund.first-aid-base-1", 70000, "ALLOC-2019-BASE-1", std::nullopt,
         "省红十字会 Provincial Red Cross", 0, "not_a_donation", "", std::nullopt, "grant");
  b.Gift("2019-06-01", "bank", "fund.first-aid-base-2", 70000, "ALLOC-2019-BASE-2", std::nullopt,
         "省红十字会 Provincial Red Cross", 0, "not_a_donation", "", std::nullopt, "grant");

  // 博爱送万家 paid out: 20 families x 8,500 (4 in cash, 16 by bank), goods 30,000.
  for (int i = 1; i <= 20; ++i) {
    PersonalData family{StrCat("困难户", i, "号户主"), StrCat("1370000", 1000 + i),
                        StrCat("41000019600101", 1000 + i), StrCat("某县闫楼村", i, "组"), ""};
    b.Pay("2019-01-28", "fund.spring-relief", 8500, "博爱送万家 Spring Festival relief",
          i <= 4 ? "cash" : "bank", StrCat("PAY-2019-SPRING-", i), family, "");
  }
  b.Pay("2019-01-29", "fund.spring-relief", 30000,
        "博爱送万家 goods: rice, flour and oil to 600 households", "goods", "PAY-2019-SPRING-GOODS",
        std::nullopt, "distribution-list-2019-spring");
  b.Pay("2019-01-30", "fund.village-pairing", 5000, "人道救助箱 to 20 poor households of 闫楼村",
        "goods", "PAY-2019-VILLAGE-BOXES", std::nullopt, "distribution-list-2019-yanlou");

  // 小天使: 9 children, 30,000 each, under the 2019 rules.
  const int ages[] = {3, 5, 6, 7, 8, 9, 11, 12, 13};
  for (int i = 0; i < 9; ++i) {
    const std::string id17 = StrCat("410000", 2019 - ages[i], "0101", 300 + i);
    PersonalData child{StrCat("患儿", i + 1, "号"), StrCat("1360000", 2000 + i),
                       StrCat(id17, std::string(1, ResidentIdCheckChar(id17))),
                       StrCat("某县某乡", i + 1, "村"), StrCat("某省儿童医院血液科", i + 1, "床")};
    char date[16];
    std::snprintf(date, sizeof(date), "2019-%02d-15", 3 + i);
    b.Pay(date, "fund.little-angel", 30000, "小天使基金 Little Angel grant", "bank",
          StrCat("PAY-2019-LA-", i + 1), child, "",
          Grant{"prog.little-angel", "", "standard", ages[i], false});
  }

  // An overspend attempt: 80,000 from a training base holding 70,000. Refused.
  PaymentRequest over;
  over.date = "2019-07-01";
  over.fund = "fund.first-aid-base-1";
  over.purpose = "first-aid training equipment";
  over.payee = "supplier-2019-07";
  over.expires = "2019-12-31";
  over.method = "bank";
  over.amount = Yuan(80000);
  b.Add("payment.request", kClerk, over, "PAY-2019-BASE-1-OVER");
  b.ops.back().expect_rejection = true;
  return b.ops;
}

std::vector<DemoOp> DemoIndicators() {
  struct I {
    const char* id;
    const char* name;
    const char* unit;
    int64_t value;
  };
  std::vector<DemoOp> ops;
  for (const I& i : std::initializer_list<I>{
           {"first-aid.certified", "应急救护取证培训 First-aid certified", "人 persons", 1379},
           {"first-aid.trained", "应急救护普及培训 First-aid awareness trained",
            "人次 person-times", 35000},
           {"stem-cell.registrations", "造血干细胞入库登记 Stem-cell donor registrations",
            "人 persons", 123},
           {"organ-donation.volunteers",
            "遗体器官捐献志愿登记 Organ-donation volunteers (about 30)", "人 persons", 30},
           {"volunteers", "红十字志愿者 Red Cross volunteers", "人 persons", 1800}}) {
    ops.push_back(DemoOp{"indicator", kClerk,
                         Indicator{"2019-12-31", i.id, i.name, i.unit, i.value},
                         StrCat("INDICATOR-2019-", i.id), std::nullopt, "", false});
  }
  return ops;
}

std::vector<std::string> DemoPersonalValues() {
  std::vector<std::string> out;
  for (const DemoOp& op : DemoDataset()) {
    if (!op.person.has_value()) continue;
    for (const std::string* v : {&op.person->name, &op.person->phone, &op.person->id_number,
                                 &op.person->address, &op.person->hospital}) {
      if (!v->empty()) out.push_back(*v);
    }
  }
  return out;
}

absl::Status LoadDemo(const Clerk& clerk, PersonalStore& people, std::ostream& log) {
  absl::Status chart = clerk.OpenStandardChart(kAdmin).status();
  if (!chart.ok()) return chart;
  std::vector<DemoOp> ops = DemoDataset();
  for (DemoOp& op : DemoIndicators()) ops.push_back(std::move(op));
  for (DemoOp& op : ops) {
    if (op.person.has_value()) {
      absl::StatusOr<Person> p = people.Register(*op.person);
      if (!p.ok()) return p.status();
      if (auto* g = std::get_if<books::Gift>(&op.body)) {
        absl::StatusOr<std::string> c = people.GiftCommitment(*p, g->donor.display, op.key);
        if (!c.ok()) return c.status();
        g->donor.commitment = *c;
      }
      if (auto* r = std::get_if<PaymentRequest>(&op.body)) {
        r->payee = p->id;
        if (r->grant.has_value()) r->grant->beneficiary = p->id;
      }
    }
    if (!op.ref_key.empty()) {
      absl::StatusOr<std::optional<uint64_t>> ref = clerk.ledger()->FindByKey(op.ref_key);
      if (!ref.ok()) return ref.status();
      if (!ref->has_value()) {
        return absl::InternalError(
            StrCat("demo: ", op.key, " names ", op.ref_key, ", not recorded"));
      }
      if (auto* d = std::get_if<PaymentDecision>(&op.body)) d->request = **ref;
      if (auto* v = std::get_if<Reversal>(&op.body)) v->reverses = **ref;
    }
    absl::StatusOr<ledger::AppendResult> r = clerk.Record(op.kind, op.by, op.body, op.key);
    if (op.expect_rejection) {
      if (r.ok()) return absl::InternalError(StrCat("demo: ", op.key, " should have been refused"));
      log << "refused   " << op.kind << " " << op.key << ": " << ToStd(r.status().message())
          << "\n";
      continue;
    }
    if (!r.ok()) {
      return absl::Status(r.status().code(), StrCat("demo step ", op.key, " (", op.kind,
                                                    "): ", ToStd(r.status().message())));
    }
    log << (r->duplicate ? "present   #" : "recorded  #") << r->index << " " << op.kind << " "
        << op.key << "\n";
  }
  return absl::OkStatus();
}

}  // namespace boai::books
