// Where boai and boaid take their settings from: flags beat the config file,
// which beats the defaults; mistakes in either file are named.
#include "service_test_support.h"

namespace boai::service::testing {
namespace {

class ClientConfigTest : public CliTest {
 protected:
  // boai without --target, with HOME and BOAI_CONFIG as given.
  CliRun BoaiEnv(const std::string& env, const std::string& args) {
    return RunCommand(
        StrCat("env -u BOAI_CONFIG -u XDG_CONFIG_HOME ", env, " ", BOAI_PATH, " ", args));
  }
};

TEST_F(ClientConfigTest, FlagsBeatTheConfigFileWhichBeatsTheDefaults) {
  std::string home = dir_ + "/home";
  std::filesystem::create_directories(home + "/.config/boai");
  WriteTokenFile(home + "/.config/boai/token", auditor_);
  // token_file relative to the config file's folder.
  std::ofstream(home + "/.config/boai/config.toml")
      << "# boai settings\ntarget = \"" << server_->target() << "\"\ntoken_file = \"token\"\n";

  // The default config file: target and token from it.
  CliRun r = BoaiEnv(StrCat("HOME=", home), "balances --fund fund.general");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("fund.general"), std::string::npos) << r.out;
  // A flag beats the file: --target to a port nobody listens on.
  r = BoaiEnv(StrCat("HOME=", home), "--target 127.0.0.1:1 balances");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("UNAVAILABLE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("127.0.0.1:1"), std::string::npos) << r.out;
  // --token beats the file's token_file: a clerk may record, the auditor not.
  r = BoaiEnv(StrCat("HOME=", home),
              "gift --amount 1 --fund fund.general --key cfg-1 --date 2024-03-01 --anonymous");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("PERMISSION_DENIED"), std::string::npos) << r.out;
  r = BoaiEnv(StrCat("HOME=", home), StrCat("--token ", clerk_,
                                            " gift --amount 1 --fund fund.general --key cfg-1 "
                                            "--date 2024-03-01 --anonymous"));
  EXPECT_EQ(r.status, 0) << r.out;
  // --config FILE (and BOAI_CONFIG) beat the default file.
  std::string other = dir_ + "/other.toml";
  std::ofstream(other) << "target = \"127.0.0.1:2\"\n";
  r = BoaiEnv(StrCat("HOME=", home), StrCat("--config ", other, " balances"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("127.0.0.1:2"), std::string::npos) << r.out;
  r = BoaiEnv(StrCat("HOME=", home, " BOAI_CONFIG=", other), "balances");
  EXPECT_NE(r.out.find("127.0.0.1:2"), std::string::npos) << r.out;
  // Without any config file: the default target 127.0.0.1:50051 (not probed:
  // another server may run there on a shared machine).
  r = BoaiEnv(StrCat("HOME=", dir_, "/nobody"), "--help");
  EXPECT_NE(r.out.find("127.0.0.1:50051"), std::string::npos) << r.out;
  // Mistakes are named, with exit status 2.
  r = BoaiEnv(StrCat("HOME=", home), StrCat("--config ", dir_, "/missing.toml balances"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("missing.toml: no such file"), std::string::npos) << r.out;
  std::ofstream(other) << "taget = \"x\"\n";
  r = BoaiEnv(StrCat("HOME=", home), StrCat("--config ", other, " balances"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("unknown key \"taget\""), std::string::npos) << r.out;
  std::ofstream(other) << "target = 5\n";
  r = BoaiEnv(StrCat("HOME=", home), StrCat("--config ", other, " balances"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("target must be a string"), std::string::npos) << r.out;
}

TEST(BoaidConfigCheckTest, CheckConfigValidatesWithoutStarting) {
  std::string dir = MakeTempDir();
  std::string config = dir + "/boaid.toml";
  std::ofstream(config) << "data = \"" << dir << "/data\"\nlisten = \"127.0.0.1:0\"\n";
  CliRun r = RunCommand(StrCat(BOAID_PATH, " --config ", config, " --check-config"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("configuration OK"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/data"));  // nothing was created
  // A public address without TLS, a missing certificate, a missing file.
  r = RunCommand(
      StrCat(BOAID_PATH, " --config ", config, " --listen 0.0.0.0:50051 --check-config"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("without TLS"), std::string::npos) << r.out;
  std::ofstream(config) << "[tls]\ncert = \"" << dir << "/none.pem\"\nkey = \"" << dir
                        << "/none.key\"\n";
  r = RunCommand(StrCat(BOAID_PATH, " --config ", config, " --check-config"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("none.pem"), std::string::npos) << r.out;
  r = RunCommand(StrCat(BOAID_PATH, " --config ", dir, "/nope.toml"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("no such file"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace boai::service::testing
