#include "support/fake_http_client.hpp"
#include "support/rsa_keys.hpp"

#include "gitops/providers/github_app.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string>
#include <vector>

namespace gitops::providers {
namespace {

using gitops::test::FakeHttpClient;
using nlohmann::json;
using std::chrono::system_clock;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char *k_api = "https://api.github.com";

// One key for the whole suite: making RSA keys takes a while.
const test::RsaKeyPair &key_pair() {
  static const test::RsaKeyPair pair = test::make_rsa_key_pair(2048);
  return pair;
}

std::string base64url_decode(std::string text) {
  std::replace(text.begin(), text.end(), '-', '+');
  std::replace(text.begin(), text.end(), '_', '/');
  while (text.size() % 4 != 0) {
    text += '=';
  }
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                                reinterpret_cast<const unsigned char *>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  // EVP_DecodeBlock counts the padding as zero bytes.
  const auto padding = static_cast<std::size_t>(std::count(text.end() - 2, text.end(), '='));
  out.resize(out.size() - padding);
  return out;
}

bool signature_verifies(const std::string &jwt, const std::string &public_pem) {
  const auto last = jwt.rfind('.');
  const std::string input = jwt.substr(0, last);
  const std::string signature = base64url_decode(jwt.substr(last + 1));
  BIO *bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char *>(input.data()),
                       input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  BIO_free(bio);
  return ok;
}

std::string usage_error(const std::string &pem) {
  try {
    (void)GitHubAppKey::parse(pem, "GITHUB_APP_PRIVATE_KEY");
  } catch (const UsageError &e) {
    return e.what();
  }
  ADD_FAILURE() << "no UsageError";
  return {};
}

TEST(GitHubAppKey, AcceptsPkcs8Pkcs1AndOneLineSecrets) {
  const std::string pkcs8 = key_pair().private_pem;
  const std::string pkcs1 = test::pkcs1_of(pkcs8);
  ASSERT_THAT(pkcs1, HasSubstr("BEGIN RSA PRIVATE KEY"));
  EXPECT_NO_THROW((void)GitHubAppKey::parse(pkcs8, "x"));
  EXPECT_NO_THROW((void)GitHubAppKey::parse("\n  " + pkcs1 + "\n\n", "x"));
  EXPECT_NO_THROW((void)GitHubAppKey::parse(util::replace_all(pkcs1, "\n", "\\n"), "x"));
}

TEST(GitHubAppKey, BadKeysAreUsageErrorsThatNeverQuoteTheKey) {
  const std::string pkcs1 = test::pkcs1_of(key_pair().private_pem);
  const std::string body_line = pkcs1.substr(pkcs1.find('\n') + 1, 64);

  EXPECT_THAT(usage_error(""), HasSubstr("GITHUB_APP_PRIVATE_KEY) is empty"));
  std::string what = usage_error(body_line);
  EXPECT_THAT(what, HasSubstr("is not a PEM key"));
  EXPECT_THAT(what, Not(HasSubstr(body_line)));

  // Cut in the middle: OpenSSL cannot decode it.
  what = usage_error(pkcs1.substr(0, pkcs1.size() / 2));
  EXPECT_THAT(what, HasSubstr("is not a valid PEM private key"));
  EXPECT_THAT(what, Not(HasSubstr(body_line)));

  // A public key, an EC key and an encrypted key.
  EXPECT_THAT(usage_error(key_pair().public_pem), HasSubstr("is not a valid PEM private key"));
  EVP_PKEY *ec = EVP_EC_gen("P-256");
  BIO *bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, ec, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char *data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  EXPECT_THAT(usage_error(std::string(data, static_cast<std::size_t>(size))),
              HasSubstr("is a EC key; GitHub Apps sign with RSA keys"));
  BIO_free(bio);

  BIO *encrypted = BIO_new(BIO_s_mem());
  BIO *in = BIO_new_mem_buf(key_pair().private_pem.data(),
                            static_cast<int>(key_pair().private_pem.size()));
  EVP_PKEY *rsa = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  const char *pass = "secret-pass";
  ASSERT_EQ(
      PEM_write_bio_PKCS8PrivateKey(encrypted, rsa, EVP_aes_256_cbc(), pass, 11, nullptr, nullptr),
      1);
  const long esize = BIO_get_mem_data(encrypted, &data);
  EXPECT_THAT(usage_error(std::string(data, static_cast<std::size_t>(esize))),
              HasSubstr("is encrypted"));
  BIO_free(encrypted);
  BIO_free(in);
  EVP_PKEY_free(rsa);
  EVP_PKEY_free(ec);
}

TEST(GitHubAppKey, JwtIsRs256WithBackdatedIatShortExpAndTheAppAsIssuer) {
  const GitHubAppKey key = GitHubAppKey::parse(key_pair().private_pem, "x");
  const system_clock::time_point now = system_clock::from_time_t(1'800'000'000);
  const std::string jwt = key.jwt("123456", now);
  ASSERT_EQ(std::count(jwt.begin(), jwt.end(), '.'), 2);
  const json header = json::parse(base64url_decode(jwt.substr(0, jwt.find('.'))));
  const std::string middle = jwt.substr(jwt.find('.') + 1, jwt.rfind('.') - jwt.find('.') - 1);
  const json claims = json::parse(base64url_decode(middle));
  EXPECT_EQ(header, (json{{"alg", "RS256"}, {"typ", "JWT"}}));
  EXPECT_EQ(claims["iat"], 1'800'000'000 - 60);
  EXPECT_EQ(claims["exp"], 1'800'000'000 + 540);
  EXPECT_EQ(claims["iss"], 123456);
  EXPECT_TRUE(signature_verifies(jwt, key_pair().public_pem));
  // Another key's signature does not verify: the check above can fail.
  const test::RsaKeyPair other = test::make_rsa_key_pair(1024);
  EXPECT_FALSE(signature_verifies(jwt, other.public_pem));
  // A Client ID is sent as a string.
  const std::string by_client = key.jwt("Iv23liExample", now);
  const std::string middle2 =
      by_client.substr(by_client.find('.') + 1, by_client.rfind('.') - by_client.find('.') - 1);
  EXPECT_EQ(json::parse(base64url_decode(middle2))["iss"], "Iv23liExample");
}

TEST(GitHubAppKey, PemSecretLinesAreTheBody) {
  const std::string pem = test::pkcs1_of(key_pair().private_pem);
  const std::vector<std::string> lines = pem_secret_lines(pem);
  ASSERT_GT(lines.size(), 10U);
  for (const std::string &line : lines) {
    EXPECT_THAT(pem, HasSubstr(line));
    EXPECT_THAT(line, Not(HasSubstr("-----")));
  }
  EXPECT_EQ(pem_secret_lines(util::replace_all(pem, "\n", "\\n")), lines);
}

json installation(long id, json permissions) {
  return {{"id", id},
          {"app_id", 123456},
          {"permissions", std::move(permissions)},
          {"suspended_at", nullptr}};
}
const json k_all_permissions = {{"contents", "write"},
                                {"pull_requests", "write"},
                                {"statuses", "read"},
                                {"checks", "write"},
                                {"metadata", "read"}};

class AppTokenSourceTest : public ::testing::Test {
protected:
  std::unique_ptr<GitHubAppTokenSource>
  make(std::optional<std::string> installation_id = std::nullopt) {
    GitHubAppCredentials credentials{"123456", key_pair().private_pem,
                                     "--github-app-private-key-file /keys/app.pem",
                                     std::move(installation_id)};
    return std::make_unique<GitHubAppTokenSource>(
        credentials, GitHubRemote{"github.com", "acme", "gitops", true},
        GitHubEndpoints{k_api, std::string(k_api) + "/graphql"}, m_http,
        [this](const std::string &secret) { m_secrets.push_back(secret); }, "gitops-promotion",
        [this] { return m_now; });
  }

  // GitHub's Date header for `offset` from the fake clock.
  http::Headers date_header(std::chrono::seconds offset = {}) const {
    const std::time_t t = system_clock::to_time_t(m_now + offset);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return {{"Date", buf}};
  }

  std::string iso(std::chrono::seconds offset) const {
    const std::time_t t = system_clock::to_time_t(m_now + offset);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
  }

  void expect_token(const std::string &token, std::chrono::seconds lifetime, long id = 77) {
    m_http.expect(
        "POST", std::string(k_api) + "/app/installations/" + std::to_string(id) + "/access_tokens",
        201, json{{"token", token}, {"expires_at", iso(lifetime)}}.dump(), date_header());
  }

  std::string failure(GitHubAppTokenSource &source) {
    try {
      (void)source.token();
    } catch (const ProviderError &e) {
      const std::string what = e.what();
      for (const std::string &secret : m_secrets) {
        EXPECT_THAT(what, Not(HasSubstr(secret)));
      }
      EXPECT_THAT(what, Not(HasSubstr("PRIVATE KEY")));
      return what;
    }
    ADD_FAILURE() << "no ProviderError";
    return {};
  }

  FakeHttpClient m_http;
  std::vector<std::string> m_secrets;
  system_clock::time_point m_now = system_clock::from_time_t(1'800'000'000);
};

TEST_F(AppTokenSourceTest, LooksUpTheInstallationAndMintsATokenForThisRepositoryOnly) {
  auto source = make();
  m_http.expect("GET", std::string(k_api) + "/repos/acme/gitops/installation", 200,
                installation(77, k_all_permissions).dump(), date_header());
  expect_token("ghs_first", std::chrono::hours(1));
  EXPECT_EQ(source->token(), "ghs_first");
  EXPECT_EQ(source->installation_id(), "77");
  ASSERT_EQ(m_http.requests().size(), 2U);
  const std::string jwt = m_secrets.at(0);
  EXPECT_TRUE(signature_verifies(jwt, key_pair().public_pem));
  for (const http::Request &request : m_http.requests()) {
    EXPECT_EQ(request.headers.find("Authorization")->second, "Bearer " + jwt);
    EXPECT_EQ(request.headers.find("X-GitHub-Api-Version")->second, "2022-11-28");
  }
  EXPECT_EQ(json::parse(m_http.requests()[1].body), (json{{"repositories", {"gitops"}},
                                                          {"permissions",
                                                           {{"contents", "write"},
                                                            {"pull_requests", "write"},
                                                            {"statuses", "read"},
                                                            {"checks", "read"}}}}));
  EXPECT_EQ(m_secrets, (std::vector<std::string>{jwt, "ghs_first"}));
  // Used again while fresh: no request.
  m_now += std::chrono::minutes(54);
  EXPECT_EQ(source->token(), "ghs_first");
  EXPECT_EQ(m_http.pending(), 0U);
  EXPECT_EQ(m_http.requests().size(), 2U);
}

TEST_F(AppTokenSourceTest, RenewsFiveMinutesBeforeExpiryOnGitHubsClock) {
  auto source = make("77");
  m_http.expect("GET", std::string(k_api) + "/app/installations/77", 200,
                installation(77, k_all_permissions).dump());
  // GitHub's clock is 20 minutes behind ours: the lifetime still counts from its own Date.
  m_http.expect("POST", std::string(k_api) + "/app/installations/77/access_tokens", 201,
                json{{"token", "ghs_a"}, {"expires_at", iso(std::chrono::minutes(40))}}.dump(),
                date_header(-std::chrono::minutes(20)));
  EXPECT_EQ(source->token(), "ghs_a");
  m_now += std::chrono::minutes(54);
  EXPECT_EQ(source->token(), "ghs_a");
  m_now += std::chrono::minutes(2);
  m_http.expect("GET", std::string(k_api) + "/app/installations/77", 200,
                installation(77, k_all_permissions).dump());
  expect_token("ghs_b", std::chrono::hours(1));
  EXPECT_EQ(source->token(), "ghs_b");
  EXPECT_EQ(source->minted(), 2);
}

TEST_F(AppTokenSourceTest, AShortLivedTokenIsRenewedHalfway) {
  auto source = make("77");
  m_http.expect("GET", std::string(k_api) + "/app/installations/77", 200,
                installation(77, k_all_permissions).dump());
  expect_token("ghs_short", std::chrono::seconds(8));
  EXPECT_EQ(source->token(), "ghs_short");
  m_now += std::chrono::seconds(3);
  EXPECT_EQ(source->token(), "ghs_short");
  m_now += std::chrono::seconds(2);
  m_http.expect("GET", std::string(k_api) + "/app/installations/77", 200,
                installation(77, k_all_permissions).dump());
  expect_token("ghs_next", std::chrono::seconds(8));
  EXPECT_EQ(source->token(), "ghs_next");
}

TEST_F(AppTokenSourceTest, NotInstalledOnTheRepository) {
  auto source = make();
  m_http.expect("GET", std::string(k_api) + "/repos/acme/gitops/installation", 404,
                R"({"message":"Not Found"})");
  const std::string what = failure(*source);
  EXPECT_THAT(what, HasSubstr("GitHub App 123456 is not installed on acme/gitops"));
  EXPECT_THAT(what, HasSubstr("give it access to acme/gitops"));
}

TEST_F(AppTokenSourceTest, UnknownInstallationId) {
  auto source = make("999");
  m_http.expect("GET", std::string(k_api) + "/app/installations/999", 404,
                R"({"message":"Not Found"})");
  EXPECT_THAT(failure(*source), HasSubstr("GitHub App 123456 has no installation 999"));
}

TEST_F(AppTokenSourceTest, KeyOfAnotherAppOrAWrongAppId) {
  auto source = make();
  m_http.expect("GET", std::string(k_api) + "/repos/acme/gitops/installation", 401,
                R"({"message":"A JSON web token could not be decoded"})", date_header());
  const std::string what = failure(*source);
  EXPECT_THAT(what, HasSubstr("the key does not belong to GitHub App 123456"));
  EXPECT_THAT(what, HasSubstr("--github-app-private-key-file /keys/app.pem"));
  EXPECT_THAT(what, HasSubstr("check that --github-app-id is the App ID"));
}

TEST_F(AppTokenSourceTest, ClockAheadOrBehindIsMeasuredFromGitHubsDate) {
  auto ahead = make();
  m_http.expect(
      "GET", std::string(k_api) + "/repos/acme/gitops/installation", 401,
      R"({"message":"'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"})",
      date_header(-std::chrono::seconds(300)));
  std::string what = failure(*ahead);
  EXPECT_THAT(what, HasSubstr("this machine's clock is 300 seconds ahead of GitHub's"));
  EXPECT_THAT(what, HasSubstr("synchronise the clock"));

  auto behind = make();
  m_http.expect(
      "GET", std::string(k_api) + "/repos/acme/gitops/installation", 401,
      R"({"message":"'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"})",
      date_header(std::chrono::seconds(900)));
  what = failure(*behind);
  EXPECT_THAT(what, HasSubstr("this machine's clock is 900 seconds behind GitHub's"));
}

TEST_F(AppTokenSourceTest, MissingPermissionsAreNamedBeforeAnyTokenIsAskedFor) {
  auto source = make();
  m_http.expect(
      "GET", std::string(k_api) + "/repos/acme/gitops/installation", 200,
      installation(77, {{"contents", "read"}, {"pull_requests", "write"}, {"statuses", "read"}})
          .dump());
  const std::string what = failure(*source);
  EXPECT_THAT(what, HasSubstr("the installation 77 of GitHub App 123456 lacks contents: write "
                              "(has read), checks: read"));
  EXPECT_EQ(m_http.pending(), 0U);
  EXPECT_EQ(m_http.requests().size(), 1U) << "no token was asked for";
}

TEST_F(AppTokenSourceTest, RepositoryOutsideTheInstallationsSelection) {
  auto source = make("77");
  m_http.expect("GET", std::string(k_api) + "/app/installations/77", 200,
                installation(77, k_all_permissions).dump());
  m_http.expect(
      "POST", std::string(k_api) + "/app/installations/77/access_tokens", 422,
      R"({"message":"There is at least one repository that does not exist or is not accessible to the parent installation."})");
  EXPECT_THAT(failure(*source), HasSubstr("the installation 77 of GitHub App 123456 cannot access "
                                          "acme/gitops"));
}

TEST_F(AppTokenSourceTest, SuspendedInstallation) {
  auto source = make();
  json suspended = installation(77, k_all_permissions);
  suspended["suspended_at"] = "2026-01-01T00:00:00Z";
  m_http.expect("GET", std::string(k_api) + "/repos/acme/gitops/installation", 200,
                suspended.dump());
  EXPECT_THAT(failure(*source), HasSubstr("is suspended"));
}

TEST_F(AppTokenSourceTest, TheProviderSendsTheInstallationToken) {
  auto source = std::shared_ptr<GitHubAppTokenSource>(make("77"));
  m_http.expect("GET", std::string(k_api) + "/app/installations/77", 200,
                installation(77, k_all_permissions).dump());
  expect_token("ghs_for_the_api", std::chrono::hours(1));
  GitHubProvider provider(GitHubRemote{"github.com", "acme", "gitops", true}, source, m_http,
                          GitHubEndpoints{k_api, std::string(k_api) + "/graphql"});
  m_http.expect("GET",
                std::string(k_api) +
                    "/repos/acme/gitops/pulls?state=open&head=acme:b&base=main&per_page=100",
                200, "[]");
  EXPECT_FALSE(provider.find_open_pr("b", "main"));
  EXPECT_EQ(m_http.requests().back().headers.find("Authorization")->second,
            "Bearer ghs_for_the_api");
}

// GitHub Enterprise Server: without --api-url the App's requests go to https://<host>/api/v3 like
// every other call; with it, to the URL given.
TEST_F(AppTokenSourceTest, EnterpriseServerEndpoints) {
  GitHubAppCredentials credentials{"12", key_pair().private_pem, "x", std::string("3")};
  GitHubAppTokenSource derived(
      credentials, GitHubRemote{"ghes.example.com", "acme", "gitops", true}, GitHubEndpoints{},
      m_http, nullptr, "gitops-promotion", [this] { return m_now; });
  m_http.expect("GET", "https://ghes.example.com/api/v3/app/installations/3", 200,
                installation(3, k_all_permissions).dump());
  m_http.expect("POST", "https://ghes.example.com/api/v3/app/installations/3/access_tokens", 201,
                json{{"token", "ghs_ghes"}, {"expires_at", iso(std::chrono::hours(1))}}.dump());
  EXPECT_EQ(derived.token(), "ghs_ghes");

  const GitHubRemote remote{"ghes.example.com", "acme", "gitops", true};
  GitHubAppTokenSource given(credentials, remote,
                             github_endpoints(remote, "https://api.ghes.example.com/v3"), m_http,
                             nullptr, "gitops-promotion", [this] { return m_now; });
  m_http.expect("GET", "https://api.ghes.example.com/v3/app/installations/3", 200,
                installation(3, k_all_permissions).dump());
  m_http.expect("POST", "https://api.ghes.example.com/v3/app/installations/3/access_tokens", 201,
                json{{"token", "ghs_given"}, {"expires_at", iso(std::chrono::hours(1))}}.dump());
  EXPECT_EQ(given.token(), "ghs_given");
}

} // namespace
} // namespace gitops::providers
