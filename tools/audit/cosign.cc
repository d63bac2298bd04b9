// keygen, cosign, vkey --key, and the check of stored cosignatures (offline and
// online verify both use CheckCosignatureLines and CosignatureFinding).
#include <ctime>
#include <filesystem>
#include <iostream>

#include "ledger/checkpoint.h"
#include "ledger/files.h"
#include "ledger/note.h"
#include "ledger/strings.h"
#include "tools/audit/audit.h"

namespace boai::audit {
namespace {

absl::StatusOr<ledger::NoteSigner> ReadAuditorKey(const std::string& key_file) {
  absl::StatusOr<std::string> text = ReadFile(key_file);
  if (!text.ok()) return text.status();
  absl::StatusOr<ledger::NoteSigner> signer = ledger::NoteSigner::FromPrivateKey(*text);
  if (!signer.ok()) {
    return absl::InvalidArgumentError(
        StrCat(key_file, ": ", signer.status().message(), " (make one with boai-audit keygen)"));
  }
  return signer;
}

// The signed checkpoint the log stored for `size`.
absl::StatusOr<std::string> StoredCheckpoint(const ledger::Storage& storage, uint64_t size) {
  absl::StatusOr<std::optional<std::string>> cp =
      storage.Get(ledger::Cf::kCheckpoints, ledger::U64Key(size));
  if (!cp.ok()) return cp.status();
  if (!cp->has_value()) {
    return absl::NotFoundError(StrCat("the log signed no checkpoint at tree size ", size));
  }
  return **cp;
}

}  // namespace

absl::StatusOr<std::vector<ledger::CosignerVerifier>> ParseCosignerKeys(
    const std::vector<std::string>& args) {
  std::vector<ledger::CosignerVerifier> keys;
  for (const std::string& arg : args) {
    absl::StatusOr<std::string> text = KeyArgument(arg);
    if (!text.ok()) return text.status();
    absl::StatusOr<ledger::CosignerVerifier> v = ledger::CosignerVerifier::FromVerifierKey(*text);
    if (!v.ok())
      return absl::InvalidArgumentError(StrCat("--cosigner-key: ", v.status().message()));
    keys.push_back(*std::move(v));
  }
  return keys;
}

absl::StatusOr<std::vector<CosignatureCheck>> CheckCosignatures(
    const ledger::Storage& storage, const ledger::VerifyReport& report,
    const std::vector<ledger::CosignerVerifier>& keys) {
  absl::StatusOr<std::vector<ledger::StoredCosignature>> stored = ledger::ListCosignatures(storage);
  if (!stored.ok()) return stored.status();
  // The stored checkpoints were verified (signature, origin, root) by VerifyLedger.
  return CheckCosignatureLines(
      *stored, report.entries,
      [&storage](uint64_t size) { return StoredCheckpoint(storage, size); }, keys);
}

int Keygen(const std::string& name, const std::string& out) {
  std::error_code ec;
  if (std::filesystem::exists(out, ec) || std::filesystem::is_symlink(out, ec)) {
    return Error(absl::InvalidArgumentError(
        StrCat(out,
               " already exists; refusing to overwrite a key file (choose another --out, or "
               "move the old key away yourself)")));
  }
  absl::StatusOr<ledger::NoteSigner> signer = ledger::NoteSigner::Generate(name);
  if (!signer.ok()) return Error(signer.status());
  absl::Status written = ledger::WritePrivateFile(out, StrCat(signer->PrivateKeyString(), "\n"));
  if (!written.ok()) return Error(absl::InvalidArgumentError(written.message()));
  std::cout << ledger::CosignerVerifierKey(*signer) << "\n";
  std::cerr << "boai-audit: wrote the auditor key " << name << " to " << out
            << " (mode 0600; keep it secret, back it up offline).\n"
            << "The line above is your cosigner key: publish it, and give it to verify with "
               "--cosigner-key.\n";
  return kExitOk;
}

int PrintCosignerKey(const std::string& key_file) {
  absl::StatusOr<ledger::NoteSigner> signer = ReadAuditorKey(key_file);
  if (!signer.ok()) return Error(signer.status());
  std::cout << ledger::CosignerVerifierKey(*signer) << "\n";
  return kExitOk;
}

int Cosign(const std::string& dir, const std::string& key_file) {
  absl::StatusOr<ledger::NoteSigner> signer = ReadAuditorKey(key_file);
  if (!signer.ok()) return Error(signer.status());
  const ledger::CosignerVerifier me = ledger::CosignerVerifier::FromSigner(*signer);

  // Writable, to store the cosignature, but without the log's writer or signing key.
  ledger::StorageOptions so;
  so.read_only = false;
  so.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<ledger::Storage>> storage =
      ledger::Storage::Open(ledger::DatabasePath(dir), so);
  if (!storage.ok()) {
    if (storage.status().code() == absl::StatusCode::kUnavailable) {
      std::cerr << "boai-audit: cannot cosign: the database in " << dir
                << " is locked by another process (a running boaid?). Stop the server, or "
                   "cosign a copy of the data directory and copy the cosignature back with "
                   "the server stopped. ("
                << ToStd(storage.status().message()) << ")\n";
      return kExitUsage;
    }
    return Error(storage.status());
  }

  VerifyArgs args;
  args.dir = dir;
  std::optional<books::Replay> replay;
  Outcome o = RunOfflineChecks(**storage, args, {me}, &replay);
  if (!o.report.ok()) {
    PrintOutcome(o, /*json=*/false);
    std::cerr << "boai-audit: not cosigned: the ledger is not intact\n";
    return kExitBad;
  }
  // A cosignature says someone other than the log checked it: not the log's own key
  // or name (the key part of a verifier key is the last '+'-separated field).
  auto key_part = [](const std::string& vkey) { return vkey.substr(vkey.rfind('+') + 1); };
  for (const ledger::KeyEpoch& e : o.report.keys.epochs()) {
    if (key_part(e.verifier.VerifierKey()) == key_part(signer->VerifierKey())) {
      std::cerr << "boai-audit: not cosigned: " << key_file
                << " holds the log's own signing key, not an auditor's. Make your own with "
                   "boai-audit keygen --name <your name> --out <file>\n";
      return kExitUsage;
    }
  }
  if (signer->name() == o.report.origin) {
    std::cerr << "boai-audit: not cosigned: the key's name " << signer->name()
              << " is the log's origin; an auditor cosigns under a name of their own (boai-audit "
                 "keygen --name audit.example.cn/you)\n";
    return kExitUsage;
  }
  const uint64_t size = o.report.entries;
  absl::StatusOr<std::string> checkpoint = StoredCheckpoint(**storage, size);
  if (!checkpoint.ok()) return Error(checkpoint.status());
  absl::StatusOr<ledger::Note> note = ledger::ParseNote(*checkpoint);
  if (!note.ok()) return Error(note.status());

  absl::StatusOr<std::optional<std::string>> existing =
      (*storage)->Get(ledger::Cf::kCosignatures, ledger::CosignatureKey(size, signer->name()));
  if (!existing.ok()) return Error(existing.status());
  if (existing->has_value()) {
    // RunOfflineChecks verified every cosignature by this name under this key.
    absl::StatusOr<ledger::Cosignature> old = ledger::ParseCosignatureLine(**existing);
    std::cerr << "boai-audit: the checkpoint at tree size " << size << " is already cosigned by "
              << signer->name() << " (time " << (old.ok() ? old->timestamp : 0)
              << "); nothing replaced\n";
  } else {
    absl::StatusOr<std::string> line =
        ledger::CreateCosignature(note->text, *signer, static_cast<uint64_t>(std::time(nullptr)));
    if (!line.ok()) return Error(line.status());
    absl::Status stored = ledger::StoreCosignature(storage->get(), size, *line);
    if (!stored.ok()) return Error(stored);
    std::cerr << "boai-audit: verified " << Thousands(size) << " entries"
              << (o.replay != nullptr ? StrCat(" and ", Thousands(o.replay->accounting_entries()),
                                               " accounting entries")
                                      : std::string())
              << "; cosigned the checkpoint at tree size " << size << " as " << signer->name()
              << " (" << me.VerifierKey() << ")\n";
  }
  absl::StatusOr<std::vector<std::string>> lines = ledger::ReadCosignatureLines(**storage, size);
  if (!lines.ok()) return Error(lines.status());
  std::cout << *checkpoint;
  for (const std::string& l : *lines) std::cout << l;
  return kExitOk;
}

std::vector<CosignatureCheck> CheckCosignatureLines(
    const std::vector<ledger::StoredCosignature>& stored, uint64_t entries,
    const std::function<absl::StatusOr<std::string>(uint64_t size)>& checkpoint_at,
    const std::vector<ledger::CosignerVerifier>& keys) {
  std::vector<CosignatureCheck> out;
  for (const ledger::StoredCosignature& s : stored) {
    CosignatureCheck c;
    c.tree_size = s.tree_size;
    c.name = s.name;
    auto fail = [&c](std::string detail) {
      c.state = CosignatureCheck::State::kFailed;
      c.detail = std::move(detail);
    };
    absl::StatusOr<ledger::Cosignature> parsed = ledger::ParseCosignatureLine(s.line);
    if (!parsed.ok()) {
      fail(std::string(ToStd(parsed.status().message())));
      out.push_back(std::move(c));
      continue;
    }
    c.key_id = HexEncode(std::string_view(reinterpret_cast<const char*>(parsed->key_id.data()),
                                          parsed->key_id.size()));
    c.timestamp = parsed->timestamp;
    absl::StatusOr<std::string> cp = s.tree_size == 0 || s.tree_size > entries
                                         ? absl::NotFoundError("")
                                         : checkpoint_at(s.tree_size);
    if (parsed->name != s.name) {
      fail(StrCat("it is stored under the name ", s.name, " but the line is signed by ",
                  parsed->name));
    } else if (!cp.ok()) {
      fail(StrCat("the log holds ", entries, " entries and signed no checkpoint at tree size ",
                  s.tree_size, ": this cosignature is for a checkpoint that is not this log's"));
    } else {
      bool named = false;
      const ledger::CosignerVerifier* key = nullptr;
      for (const ledger::CosignerVerifier& k : keys) {
        if (k.name() != s.name) continue;
        named = true;
        if (k.key_id() == parsed->key_id) key = &k;
      }
      if (!named) {
        c.detail = StrCat("no --cosigner-key named ", s.name, " was given");
      } else if (key == nullptr) {
        fail(StrCat("it is signed with key id ", c.key_id,
                    ", not with the key given for that cosigner: it claims to be ", s.name));
      } else {
        absl::StatusOr<ledger::Note> note = ledger::ParseNote(*cp);
        absl::Status ok =
            note.ok() ? ledger::VerifyCosignature(note->text, s.line, *key) : note.status();
        if (ok.ok()) {
          c.state = CosignatureCheck::State::kVerified;
        } else {
          fail(std::string(ToStd(ok.message())));
        }
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<ledger::Finding> CosignatureFinding(const std::vector<CosignatureCheck>& checks) {
  for (const CosignatureCheck& c : checks) {
    if (c.state == CosignatureCheck::State::kFailed) {
      return ledger::Finding{
          std::nullopt, "cosignature",
          StrCat("the cosignature by ", c.name, " of the checkpoint at tree size ", c.tree_size,
                 ": ", c.detail)};
    }
  }
  return std::nullopt;
}

}  // namespace boai::audit
