// Unit tests of the crypto values against published vectors (FIPS 180-2 SHA-256, RFC 4231 HMAC) and an
// RS256 sign/verify round trip with a key made by OpenSSL.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "util/Crypto.hpp"

namespace launch {
namespace {

TEST(Sha256, MatchesFips180Vectors) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

struct HmacCase {
  std::string key, data, hex;
};
class HmacRfc4231 : public ::testing::TestWithParam<HmacCase> {};
TEST_P(HmacRfc4231, Matches) { EXPECT_EQ(toHex(hmacSha256(GetParam().key, GetParam().data)), GetParam().hex); }
INSTANTIATE_TEST_SUITE_P(
    Vectors, HmacRfc4231,
    ::testing::Values(HmacCase{std::string(20, '\x0b'), "Hi There",
                               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
                      HmacCase{"Jefe", "what do ya want for nothing?",
                               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
                      HmacCase{std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
                               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"}));

// A fresh RSA key pair as PEM text, made by OpenSSL for this test.
std::pair<std::string, std::string> makeRsaKeyPair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub, key);
  auto text = [](BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(n));
  };
  std::pair<std::string, std::string> pair{text(priv), text(pub)};
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return pair;
}

TEST(Rs256, SignsAndVerifiesAndRejectsTampering) {
  const auto [privateKey, publicKey] = makeRsaKeyPair();
  auto signature = rsaSha256Sign(privateKey, "header.payload");
  ASSERT_TRUE(signature.ok()) << signature.error().message;
  EXPECT_EQ(signature->size(), 256U);
  EXPECT_TRUE(*rsaSha256Verify(publicKey, "header.payload", *signature));
  EXPECT_FALSE(*rsaSha256Verify(publicKey, "header.payloaD", *signature));
  EXPECT_FALSE(rsaSha256Sign("not a key", "x").ok());
  EXPECT_FALSE(rsaSha256Verify("not a key", "x", "y").ok());
}

}  // namespace
}  // namespace launch
