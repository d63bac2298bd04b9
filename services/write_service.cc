// boai.v1.Ledger's write RPCs. Each unary write checks its request and turns it
// into a books body (PrepareGift, PrepareMatch, or the handler's own lambda),
// then RunWrite (ledger_service.cc) authorizes, drafts, appends and answers with
// the receipt once the entry is durable. InitBooks and AddUser are synchronous
// (Run). The streaming imports are in import_service.cc.
#include <spdlog/spdlog.h>

#include "ledger/hash.h"
#include "ledger/leaf.h"
#include "ledger/strings.h"
#include "services/ledger_service.h"
#include "services/status.h"

namespace boai::service {
namespace {

using v1::Receipt;

absl::Status RequireKey(std::string_view key) {
  if (key.empty()) {
    return absl::InvalidArgumentError(
        "idempotency_key is required: give every write a key that names it (a receipt number, a "
        "bank reference), so that a retry cannot record it twice");
  }
  absl::Status s = ledger::ValidateKey(key);
  if (!s.ok()) return absl::InvalidArgumentError(StrCat("idempotency_key: ", ToStd(s.message())));
  return absl::OkStatus();
}

absl::Status RequireText(std::string_view field, std::string_view value) {
  if (StripWhitespace(value).empty()) {
    return absl::InvalidArgumentError(StrCat(field, " is required"));
  }
  return absl::OkStatus();
}

std::optional<Role> FromProto(v1::Role r) {
  switch (r) {
    case v1::ROLE_PUBLIC:
      return Role::kPublic;
    case v1::ROLE_AUDITOR:
      return Role::kAuditor;
    case v1::ROLE_CLERK:
      return Role::kClerk;
    case v1::ROLE_APPROVER:
      return Role::kApprover;
    case v1::ROLE_ADMIN:
      return Role::kAdmin;
    default:
      return std::nullopt;
  }
}

books::PersonalData FromProto(const v1::PersonalData& p) {
  return books::PersonalData{p.name(), p.phone(), p.id_number(), p.address(), p.hospital()};
}

}  // namespace

// ---------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------

absl::StatusOr<LedgerService::Write> LedgerService::PrepareGift(const v1::RecordGiftRequest& req,
                                                                const User& user) const {
  if (absl::Status s = RequireKey(req.idempotency_key()); !s.ok()) return s;
  if (absl::Status s = IdsFit({{"fund", req.fund()},
                               {"campaign", req.campaign()},
                               {"receipt_book", req.receipt_book()},
                               {"income", req.income()},
                               {"channel", req.channel()}});
      !s.ok())
    return s;
  // Mistakes the entry's own check would report in terms of its fields.
  if (req.receipt_book().empty() && req.receipt_number() != 0) {
    return absl::InvalidArgumentError(
        StrCat("receipt_number ", req.receipt_number(),
               " needs receipt_book, the book the number is from (or give no_receipt instead)"));
  }
  if (req.has_in_kind() && req.channel() != "in_kind") {
    return absl::InvalidArgumentError(StrCat("in_kind is only for channel in_kind, not channel \"",
                                             ShortValue(req.channel()), "\""));
  }
  books::Gift g;
  g.date = req.date().empty() ? Today() : req.date();
  g.channel = req.channel();
  g.income = req.income().empty() ? "donation" : req.income();
  g.fund = req.fund();
  g.campaign = req.campaign();
  g.amount = req.amount();
  g.receipt_book = req.receipt_book();
  g.receipt_number = req.receipt_number();
  g.no_receipt = req.no_receipt();
  if (req.has_in_kind()) {
    const v1::InKind& k = req.in_kind();
    g.in_kind =
        books::InKind{k.description(), k.unit(), k.method(), k.quantity(), k.evidence_sha256()};
  }
  if (!req.receipt_book().empty() && req.receipt_number() <= 0) {
    return absl::InvalidArgumentError(
        "receipt_number must be a positive number when receipt_book is given");
  }

  // The display the donor chose, checked before any personal data is stored.
  const bool has_name = req.has_donor() && !StripWhitespace(req.donor().name()).empty();
  v1::DonorDisplay display = req.display();
  if (display == v1::DONOR_DISPLAY_UNSPECIFIED) {
    display = has_name ? v1::DONOR_DISPLAY_MASKED_NAME : v1::DONOR_DISPLAY_ANONYMOUS;
  }
  switch (display) {
    case v1::DONOR_DISPLAY_MASKED_NAME:
      if (!has_name) {
        return absl::InvalidArgumentError(
            "display DONOR_DISPLAY_MASKED_NAME needs donor.name; choose DONOR_DISPLAY_ANONYMOUS "
            "otherwise");
      }
      break;
    case v1::DONOR_DISPLAY_ANONYMOUS:
      g.donor.display = kAnonymousDisplay;
      break;
    case v1::DONOR_DISPLAY_AS_GIVEN: {
      std::string_view d = StripWhitespace(req.display_name());
      if (d.empty() || d.size() > 256) {
        return absl::InvalidArgumentError(
            "display DONOR_DISPLAY_AS_GIVEN needs display_name (1-256 bytes), e.g. an "
            "organisation's name");
      }
      if (HasControlChar(d)) {
        return absl::InvalidArgumentError("display_name must not contain control characters");
      }
      g.donor.display = std::string(d);
      break;
    }
    default:
      return absl::InvalidArgumentError(
          StrCat("display ", static_cast<int>(display), " is not a DonorDisplay"));
  }

  // Validate the whole entry with a placeholder donor first, so a bad gift never
  // leaves personal data behind.
  const std::string placeholder = ledger::HashToHex(
      ledger::Sha256(StrCat("boai.v1/no-personal-data\n", req.idempotency_key())));
  books::Gift check = g;
  check.donor = books::Donor{
      g.donor.display.empty() ? std::string(kAnonymousDisplay) : g.donor.display, placeholder};
  absl::StatusOr<ledger::EntryDraft> draft =
      clerk_->Draft("gift", user.name, check, req.idempotency_key());
  if (!draft.ok()) return draft.status();

  Write w{"gift", {}, req.idempotency_key(), "", std::nullopt};
  if (!req.has_donor()) {
    // Without personal data the commitment commits to no person: a value derived
    // from the key, so a retry writes the same leaf. The checked draft is the
    // entry itself.
    w.body = std::move(check);
    w.draft = std::move(*draft);
    return w;
  }
  {
    absl::StatusOr<books::Person> p = people_->Register(FromProto(req.donor()));
    if (!p.ok())
      return absl::Status(p.status().code(), StrCat("donor: ", ToStd(p.status().message())));
    if (display == v1::DONOR_DISPLAY_MASKED_NAME)
      g.donor.display = books::MaskedName(req.donor().name());
    absl::StatusOr<std::string> c =
        people_->GiftCommitment(*p, g.donor.display, req.idempotency_key());
    if (!c.ok()) return c.status();
    g.donor.commitment = *c;
    w.person_id = p->id;
  }
  w.body = std::move(g);
  return w;
}

grpc::ServerUnaryReactor* LedgerService::RecordGift(grpc::CallbackServerContext* ctx,
                                                    const v1::RecordGiftRequest* req,
                                                    Receipt* out) {
  return RunWrite(
      ctx, "RecordGift", Access::kClerk, req->idempotency_key(), req->has_donor(),
      [this, req](const User& u) { return PrepareGift(*req, u); }, out);
}

grpc::ServerUnaryReactor* LedgerService::RequestPayment(grpc::CallbackServerContext* ctx,
                                                        const v1::RequestPaymentRequest* req,
                                                        Receipt* out) {
  return RunWrite(
      ctx, "RequestPayment", Access::kClerk, req->idempotency_key(), req->has_payee(),
      [this, req](const User& u) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        if (absl::Status s = IdsFit({{"fund", req->fund()},
                                     {"payee_label", req->payee_label()},
                                     {"grant.programme", req->grant().programme()},
                                     {"grant.tier", req->grant().tier()}});
            !s.ok())
          return s;
        books::PaymentRequest p;
        p.date = req->date().empty() ? Today() : req->date();
        p.fund = req->fund();
        p.amount = req->amount();
        p.purpose = req->purpose();
        p.method = req->method();
        p.expires = req->expires().empty() && p.date.size() >= 4
                        ? StrCat(p.date.substr(0, 4), "-12-31")
                        : req->expires();
        if (req->has_payee() == !req->payee_label().empty()) {
          return absl::InvalidArgumentError(
              "give the payee's personal data (payee) or a non-personal payee_label, exactly one");
        }
        if (!req->payee_label().empty()) {
          absl::Status s = books::CheckId("payee_label", req->payee_label());
          if (!s.ok()) {
            return absl::InvalidArgumentError(StrCat(
                ToStd(s.message()), "; a label is never a person's name: give a person as payee"));
          }
        }
        if (absl::Status s = RequireText("purpose", p.purpose); !s.ok()) return s;
        p.payee = req->payee_label().empty() ? "p-pending" : req->payee_label();
        if (req->has_grant()) {
          // The child is the payee, known by a valid identity number: one child typed
          // two ways, or under a label, would get the one-per-child grant twice.
          if (!req->has_payee()) {
            return absl::InvalidArgumentError(
                "a programme grant is paid to the child, given as payee with the identity "
                "number (payee.id_number), not to a payee_label");
          }
          if (absl::Status s = books::CheckResidentIdNumber(req->payee().id_number()); !s.ok()) {
            return absl::InvalidArgumentError(
                StrCat("a programme grant needs the child's resident identity number "
                       "(payee.id_number): ",
                       ToStd(s.message())));
          }
          const v1::Grant& g = req->grant();
          p.grant = books::Grant{g.programme(), p.payee, g.tier(), g.age(), g.transplant()};
        }
        // Validate before any personal data is stored.
        absl::StatusOr<ledger::EntryDraft> check =
            clerk_->Draft("payment.request", u.name, p, req->idempotency_key());
        if (!check.ok()) return check.status();
        Write w{"payment.request", {}, req->idempotency_key(), "", std::nullopt};
        if (req->has_payee()) {
          absl::StatusOr<books::Person> person = people_->Register(FromProto(req->payee()));
          if (!person.ok()) {
            return absl::Status(person.status().code(),
                                StrCat("payee: ", ToStd(person.status().message())));
          }
          p.payee = person->id;
          if (p.grant.has_value()) p.grant->beneficiary = person->id;
          w.person_id = person->id;
          w.body = std::move(p);
        } else {
          w.draft = std::move(*check);  // a label: the checked draft is the entry
        }
        return w;
      },
      out);
}

absl::StatusOr<LedgerService::Write> LedgerService::PaymentDecisionWrite(
    std::string_view kind, const std::string& key, const std::string& date, uint64_t request,
    std::optional<std::string_view> reason) const {
  if (absl::Status s = RequireKey(key); !s.ok()) return s;
  if (reason.has_value()) {
    if (absl::Status s = RequireText("reason", *reason); !s.ok()) return s;
  }
  if (absl::Status s = EntryExists("request", request); !s.ok()) return s;
  books::PaymentDecision d;
  d.date = date.empty() ? Today() : date;
  d.request = request;
  d.reason = std::string(reason.value_or(""));
  return Write{std::string(kind), d, key, "", std::nullopt};
}

grpc::ServerUnaryReactor* LedgerService::ApprovePayment(grpc::CallbackServerContext* ctx,
                                                        const v1::ApprovePaymentRequest* req,
                                                        Receipt* out) {
  return RunWrite(
      ctx, "ApprovePayment", Access::kApprover, req->idempotency_key(), false,
      [this, req](const User&) {
        return PaymentDecisionWrite("payment.approve", req->idempotency_key(), req->date(),
                                    req->request(), std::nullopt);
      },
      out);
}

grpc::ServerUnaryReactor* LedgerService::RejectPayment(grpc::CallbackServerContext* ctx,
                                                       const v1::RejectPaymentRequest* req,
                                                       Receipt* out) {
  return RunWrite(
      ctx, "RejectPayment", Access::kApprover, req->idempotency_key(), false,
      [this, req](const User&) {
        return PaymentDecisionWrite("payment.reject", req->idempotency_key(), req->date(),
                                    req->request(), req->reason());
      },
      out);
}

grpc::ServerUnaryReactor* LedgerService::ExpirePayment(grpc::CallbackServerContext* ctx,
                                                       const v1::ExpirePaymentRequest* req,
                                                       Receipt* out) {
  return RunWrite(
      ctx, "ExpirePayment", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) {
        return PaymentDecisionWrite("payment.expire", req->idempotency_key(), req->date(),
                                    req->request(), std::nullopt);
      },
      out);
}

grpc::ServerUnaryReactor* LedgerService::Reverse(grpc::CallbackServerContext* ctx,
                                                 const v1::ReverseRequest* req, Receipt* out) {
  return RunWrite(
      ctx, "Reverse", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        if (absl::Status s = RequireText("reason", req->reason()); !s.ok()) return s;
        books::Reversal v;
        v.date = req->date().empty() ? Today() : req->date();
        v.reverses = req->reverses();
        v.reason = req->reason();
        return Write{"reversal", v, req->idempotency_key(), "", std::nullopt};
      },
      out);
}

grpc::ServerUnaryReactor* LedgerService::RecordIndicator(grpc::CallbackServerContext* ctx,
                                                         const v1::RecordIndicatorRequest* req,
                                                         Receipt* out) {
  return RunWrite(
      ctx, "RecordIndicator", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        if (absl::Status s = IdsFit({{"id", req->id()}}); !s.ok()) return s;
        books::Indicator v;
        v.date = req->date().empty() ? Today() : req->date();
        v.id = req->id();
        v.name = req->name();
        v.unit = req->unit();
        v.value = req->value();
        return Write{"indicator", v, req->idempotency_key(), "", std::nullopt};
      },
      out);
}

grpc::ServerUnaryReactor* LedgerService::VoidReceipt(grpc::CallbackServerContext* ctx,
                                                     const v1::VoidReceiptRequest* req,
                                                     Receipt* out) {
  return RunWrite(
      ctx, "VoidReceipt", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        if (absl::Status s = RequireText("reason", req->reason()); !s.ok()) return s;
        if (absl::Status s = IdsFit({{"book", req->book()}}); !s.ok()) return s;
        books::ReceiptVoid v;
        v.date = req->date().empty() ? Today() : req->date();
        v.book = req->book();
        v.number = req->number();
        v.reason = req->reason();
        return Write{"receipt.void", v, req->idempotency_key(), "", std::nullopt};
      },
      out);
}

absl::StatusOr<LedgerService::Write> LedgerService::PrepareMatch(
    const v1::RecordMatchRequest& req) const {
  if (absl::Status s = RequireKey(req.idempotency_key()); !s.ok()) return s;
  if (absl::Status s = IdsFit({{"campaign", req.campaign()}}); !s.ok()) return s;
  books::Match m;
  m.date = req.date().empty() ? Today() : req.date();
  m.campaign = req.campaign();
  m.platform_ref = req.platform_ref();
  m.amount = req.amount();
  return Write{"match", m, req.idempotency_key(), "", std::nullopt};
}

grpc::ServerUnaryReactor* LedgerService::RecordMatch(grpc::CallbackServerContext* ctx,
                                                     const v1::RecordMatchRequest* req,
                                                     Receipt* out) {
  return RunWrite(
      ctx, "RecordMatch", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) { return PrepareMatch(*req); }, out);
}

grpc::ServerUnaryReactor* LedgerService::Clawback(grpc::CallbackServerContext* ctx,
                                                  const v1::ClawbackRequest* req, Receipt* out) {
  return RunWrite(
      ctx, "Clawback", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        if (absl::Status s = RequireText("reason", req->reason()); !s.ok()) return s;
        if (absl::Status s = IdsFit({{"campaign", req->campaign()}}); !s.ok()) return s;
        books::Clawback c;
        c.date = req->date().empty() ? Today() : req->date();
        c.campaign = req->campaign();
        c.amount = req->amount();
        c.reason = req->reason();
        return Write{"match.clawback", c, req->idempotency_key(), "", std::nullopt};
      },
      out);
}

grpc::ServerUnaryReactor* LedgerService::Settle(grpc::CallbackServerContext* ctx,
                                                const v1::SettleRequest* req, Receipt* out) {
  return RunWrite(
      ctx, "Settle", Access::kClerk, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        if (absl::Status s = IdsFit({{"campaign", req->campaign()}}); !s.ok()) return s;
        books::Settlement s;
        s.date = req->date().empty() ? Today() : req->date();
        s.campaign = req->campaign();
        s.gifts = req->gifts();
        s.matching = req->matching();
        s.file_sha256 = req->file_sha256();
        return Write{"settlement", s, req->idempotency_key(), "", std::nullopt};
      },
      out);
}

grpc::Status LedgerService::InitBooks(grpc::ServerContext* ctx, const v1::InitBooksRequest*,
                                      v1::InitBooksResponse* out) {
  return Run(ctx, "InitBooks", Access::kAdmin, [&](const User& u) -> absl::Status {
    absl::StatusOr<uint32_t> opened = clerk_->OpenStandardChart(u.name);
    if (!opened.ok()) return opened.status();
    out->set_opened(*opened);
    out->set_accounts(static_cast<uint32_t>(
        books_->Read([](const books::Books& b) { return b.accounts().size(); })));
    spdlog::info("write rpc=InitBooks user={} kind=account.open opened={}", Q(u.name), *opened);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LedgerService::OpenFund(grpc::CallbackServerContext* ctx,
                                                  const v1::OpenFundRequest* req, Receipt* out) {
  return RunWrite(
      ctx, "OpenFund", Access::kAdmin, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = IdsFit({{"id", req->id()}}); !s.ok()) return s;
        std::string key =
            req->idempotency_key().empty() ? StrCat("fund/", req->id()) : req->idempotency_key();
        if (absl::Status s = RequireKey(key); !s.ok()) return s;
        if (absl::Status s = RequireText("name", req->name()); !s.ok()) return s;
        Write w{"fund.open",
                books::FundOpen{req->id(), req->name(), req->purpose(), req->restricted()}, key, "",
                std::nullopt};
        if (req->idempotency_key().empty()) {
          w.conflict = StrCat("fund ", req->id(),
                              " is already open with another name, purpose or restriction: a fund "
                              "is opened once and not changed (GetBalances shows it)");
        }
        return w;
      },
      out);
}

grpc::ServerUnaryReactor* LedgerService::OpenCampaign(grpc::CallbackServerContext* ctx,
                                                      const v1::OpenCampaignRequest* req,
                                                      Receipt* out) {
  return RunWrite(
      ctx, "OpenCampaign", Access::kAdmin, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = IdsFit({{"id", req->id()}, {"fund", req->fund()}}); !s.ok()) return s;
        std::string key = req->idempotency_key().empty() ? StrCat("campaign/", req->id())
                                                         : req->idempotency_key();
        if (absl::Status s = RequireKey(key); !s.ok()) return s;
        if (absl::Status s = RequireText("name", req->name()); !s.ok()) return s;
        Write w{"campaign.open",
                books::CampaignOpen{req->id(), req->name(), req->fund(), req->platform(),
                                    req->start(), req->end(), req->target()},
                key, "", std::nullopt};
        if (req->idempotency_key().empty()) {
          w.conflict = StrCat("campaign ", req->id(),
                              " is already open with other details: a campaign is opened once "
                              "and not changed (GetCampaign shows it)");
        }
        return w;
      },
      out);
}

grpc::ServerUnaryReactor* LedgerService::SetProgrammeRules(grpc::CallbackServerContext* ctx,
                                                           const v1::SetProgrammeRulesRequest* req,
                                                           Receipt* out) {
  return RunWrite(
      ctx, "SetProgrammeRules", Access::kAdmin, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = IdsFit({{"programme", req->programme()}, {"fund", req->fund()}});
            !s.ok())
          return s;
        for (const v1::Tier& t : req->tiers()) {
          if (absl::Status s =
                  IdsFit({{"tiers.id", t.id()}, {"tiers.requires_tier", t.requires_tier()}});
              !s.ok())
            return s;
        }
        std::string key = req->idempotency_key().empty()
                              ? StrCat("programme/", req->programme(), "/", req->version())
                              : req->idempotency_key();
        if (absl::Status s = RequireKey(key); !s.ok()) return s;
        books::ProgrammeRules p;
        p.programme = req->programme();
        p.name = req->name();
        p.fund = req->fund();
        p.effective_from = req->effective_from();
        p.version = req->version();
        p.age_min = req->age_min();
        p.age_max = req->age_max();
        p.max_total = req->max_total();
        for (const v1::Tier& t : req->tiers()) {
          p.tiers.push_back(
              books::Tier{t.id(), t.amount(), t.requires_tier(), t.requires_transplant()});
        }
        Write w{"programme.rules", p, key, "", std::nullopt};
        if (req->idempotency_key().empty()) {
          w.conflict = StrCat("programme ", req->programme(), " version ", req->version(),
                              " already has other rules: rules are not changed, give a new "
                              "version");
        }
        return w;
      },
      out);
}

grpc::ServerUnaryReactor* LedgerService::ReleaseFund(grpc::CallbackServerContext* ctx,
                                                     const v1::ReleaseFundRequest* req,
                                                     Receipt* out) {
  return RunWrite(
      ctx, "ReleaseFund", Access::kAdmin, req->idempotency_key(), false,
      [this, req](const User&) -> absl::StatusOr<Write> {
        if (absl::Status s = RequireKey(req->idempotency_key()); !s.ok()) return s;
        if (absl::Status s = RequireText("reason", req->reason()); !s.ok()) return s;
        if (absl::Status s = IdsFit({{"from", req->from()}, {"to", req->to()}}); !s.ok()) return s;
        books::Release r;
        r.date = req->date().empty() ? Today() : req->date();
        r.from = req->from();
        r.to = req->to();
        r.amount = req->amount();
        r.reason = req->reason();
        return Write{"fund.release", r, req->idempotency_key(), "", std::nullopt};
      },
      out);
}

grpc::Status LedgerService::AddUser(grpc::ServerContext* ctx, const v1::AddUserRequest* req,
                                    v1::AddUserResponse* out) {
  return Run(ctx, "AddUser", Access::kAdmin, [&](const User& u) -> absl::Status {
    std::optional<Role> role = FromProto(req->role());
    if (!role.has_value()) {
      if (req->role() == v1::ROLE_UNSPECIFIED) {
        return absl::InvalidArgumentError(
            "role is required: public, auditor, clerk, approver or admin");
      }
      return absl::InvalidArgumentError(
          StrCat("role ", static_cast<int>(req->role()),
                 " is not a role: public, auditor, clerk, approver or admin"));
    }
    absl::StatusOr<std::string> token = users_->AddUser(req->name(), *role, req->replace());
    if (!token.ok()) return token.status();
    out->set_name(req->name());
    out->set_role(req->role());
    out->set_token(*token);
    spdlog::info("user rpc=AddUser user={} name={} role={} replace={}", Q(u.name), Q(req->name()),
                 RoleName(*role), req->replace());
    return absl::OkStatus();
  });
}

}  // namespace boai::service
