// boaid's TOML config file: settings, users defined there, and typos refused.
#include "service_test_support.h"

namespace boai::service::testing {
namespace {

TEST(ServiceConfigTest, ConfigFileUsersAndSettings) {
  std::string dir = MakeTempDir();
  std::string token = NewToken();
  std::string config = dir + "/boaid.toml";
  std::ofstream(config)
      << "data = \"" << dir << "/data\"\n"
      << "listen = \"127.0.0.1:0\"\n"
      << "[ledger]\norigin = \"test.example/ledger\"\nsync = false\n"
      << "[log]\nlevel = \"warn\"\n"
      << "[[user]]\nname = \"auditor.qian\"\nrole = \"auditor\"\ntoken_sha256 = \""
      << TokenHash(token) << "\"\n";
  ServerOptions o;
  std::string level;
  absl::Status s = LoadConfigFile(config, &o, &level);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(o.data_dir, dir + "/data");
  EXPECT_EQ(o.listen, "127.0.0.1:0");
  EXPECT_FALSE(o.sync);
  EXPECT_EQ(o.origin, "test.example/ledger");
  EXPECT_EQ(level, "warn");
  ASSERT_EQ(o.users.size(), 1u);

  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::Ledger::NewStub(
      grpc::CreateChannel((*server)->target(), grpc::InsecureChannelCredentials()));
  v1::GetBalancesResponse bal;
  grpc::Status gs = stub->GetBalances(Ctx(token).get(), v1::GetBalancesRequest(), &bal);
  EXPECT_TRUE(gs.ok()) << gs.error_message();
  v1::GetCheckpointResponse cp;
  ASSERT_TRUE(stub->GetCheckpoint(Ctx("").get(), v1::GetCheckpointRequest(), &cp).ok());
  EXPECT_EQ(cp.checkpoint().note().substr(0, 20), "test.example/ledger\n");
  // Users of the config file are changed there, not through AddUser.
  v1::AddUserRequest au;
  au.set_name("auditor.qian");
  au.set_role(v1::ROLE_ADMIN);
  au.set_replace(true);
  v1::AddUserResponse aur;
  std::string admin = Trim(ReadFileText(AdminTokenPath(o.data_dir)));
  EXPECT_EQ(stub->AddUser(Ctx(admin).get(), au, &aur).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  server->reset();

  // A typo is an error, not a silently ignored setting.
  std::ofstream(config) << "[ledger]\nsnyc = false\n";
  s = LoadConfigFile(config, &o, &level);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(ToStd(s.message()).find("snyc"), std::string_view::npos) << s;
  // So is a role that does not exist, or a token stored in clear.
  std::ofstream(config) << "[[user]]\nname = \"x\"\nrole = \"boss\"\ntoken_sha256 = \""
                        << TokenHash("t") << "\"\n";
  EXPECT_EQ(LoadConfigFile(config, &o, &level).code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(config)
      << "[[user]]\nname = \"x\"\nrole = \"clerk\"\ntoken_sha256 = \"boai_secret\"\n";
  EXPECT_EQ(LoadConfigFile(config, &o, &level).code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace boai::service::testing
