#include "gitops/git/receive_pack.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gitops::git {
namespace {

using testing::HasSubstr;

const std::string k_a(40, 'a');
const std::string k_b(40, 'b');

TEST(ReceivePack, PktLine) {
  EXPECT_EQ(pkt_line("a\n"), "0006a\n");
  EXPECT_EQ(pkt_line(std::string(65516, 'x')).substr(0, 4), "fff0");
}

TEST(ReceivePack, Advertisement) {
  const std::string body = pkt_line("# service=git-receive-pack\n") + "0000" +
                           pkt_line(k_a + " refs/heads/main" + std::string(1, '\0') +
                                    "report-status delete-refs agent=git/2.39\n") +
                           pkt_line(k_b + " refs/heads/x\n") + "0000";
  const ReceivePackAdvertisement ad = parse_receive_pack_advertisement(body, "https://h/r");
  EXPECT_EQ(ad.refs.at("refs/heads/main"), k_a);
  EXPECT_EQ(ad.refs.at("refs/heads/x"), k_b);
  EXPECT_TRUE(ad.capabilities.contains("report-status"));
  EXPECT_TRUE(ad.capabilities.contains("agent=git/2.39"));

  const std::string empty = pkt_line("# service=git-receive-pack\n") + "0000" +
                            pkt_line(std::string(40, '0') + " capabilities^{}" +
                                     std::string(1, '\0') + "report-status\n") +
                            "0000";
  EXPECT_TRUE(parse_receive_pack_advertisement(empty, "u").refs.empty());

  for (const std::string &bad :
       {std::string("<html>login</html>"), pkt_line("# service=git-upload-pack\n") + "0000",
        pkt_line("# service=git-receive-pack\n") + "0000" + pkt_line("zz refs/heads/a\n"),
        std::string("00")}) {
    EXPECT_THAT(
        [&] { (void)parse_receive_pack_advertisement(bad, "https://h/r"); },
        testing::ThrowsMessage<GitError>(HasSubstr("https://h/r did not answer as a smart-HTTP")))
        << bad;
  }
}

TEST(ReceivePack, Request) {
  const std::string body = receive_pack_request(k_a, k_b, "refs/heads/x", "PACK...");
  const std::string command = k_a + " " + k_b + " refs/heads/x" + std::string(1, '\0') +
                              "report-status agent=gitops-promotion\n";
  EXPECT_EQ(body, pkt_line(command) + "0000PACK...");
}

TEST(ReceivePack, ReportStatus) {
  const std::string ok = pkt_line("unpack ok\n") + pkt_line("ok refs/heads/x\n") + "0000";
  EXPECT_EQ(parse_report_status(ok, "refs/heads/x"), std::nullopt);
  const std::string ng =
      pkt_line("unpack ok\n") + pkt_line("ng refs/heads/x failed to update ref\n") + "0000";
  EXPECT_EQ(parse_report_status(ng, "refs/heads/x"), "failed to update ref");
  EXPECT_THAT([&] { (void)parse_report_status(pkt_line("unpack index-pack failed\n"), "r"); },
              testing::ThrowsMessage<GitError>(
                  HasSubstr("could not unpack the pushed objects: index-pack failed")));
  EXPECT_THAT([&] { (void)parse_report_status(ok, "refs/heads/other"); },
              testing::ThrowsMessage<GitError>(HasSubstr("does not mention refs/heads/other")));
  EXPECT_THAT([&] { (void)parse_report_status("garbage", "r"); },
              testing::ThrowsMessage<GitError>(HasSubstr("not a report-status")));
}

} // namespace
} // namespace gitops::git
