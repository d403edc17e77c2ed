// TestPki: a CA, server and client certificates (EC P-256) made with the OpenSSL C API at test time.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace launch::http::testing {

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using CertPtr = std::unique_ptr<X509, CertDeleter>;

// A key and its certificate.
struct Identity {
  KeyPtr key;
  CertPtr cert;

  std::string certPem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert.get());
    return drain(bio);
  }
  std::string keyPem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    return drain(bio);
  }

 private:
  static std::string drain(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(size));
    BIO_free(bio);
    return out;
  }
};

inline void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("TestPki: ") + what + " failed");
}

inline void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  require(extension != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

// A certificate for `commonName`, signed by `issuer` (self-signed when null). `altNames` is an
// subjectAltName value ("DNS:localhost,IP:127.0.0.1"), `usage` an extendedKeyUsage ("serverAuth").
inline Identity makeIdentity(const std::string& commonName, const Identity* issuer, bool isCa,
                             const std::string& altNames = {}, const std::string& usage = {}) {
  Identity identity;
  identity.key.reset(EVP_EC_gen("P-256"));
  require(identity.key != nullptr, "EVP_EC_gen");
  identity.cert.reset(X509_new());
  X509* cert = identity.cert.get();
  X509_set_version(cert, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24L * 3600);
  X509_set_pubkey(cert, identity.key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(commonName.c_str()), -1,
                             -1, 0);
  X509* issuerCert = issuer != nullptr ? issuer->cert.get() : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(issuerCert));
  addExtension(cert, issuerCert, NID_basic_constraints, isCa ? "critical,CA:TRUE" : "CA:FALSE");
  if (isCa) addExtension(cert, issuerCert, NID_key_usage, "critical,keyCertSign,cRLSign");
  if (!altNames.empty()) addExtension(cert, issuerCert, NID_subject_alt_name, altNames);
  if (!usage.empty()) addExtension(cert, issuerCert, NID_ext_key_usage, usage);
  EVP_PKEY* signer = issuer != nullptr ? issuer->key.get() : identity.key.get();
  require(X509_sign(cert, signer, EVP_sha256()) > 0, "X509_sign");
  return identity;
}

// One CA with a server certificate for localhost, 127.0.0.1, ::1 and origin.test, and a client certificate.
struct TestPki {
  Identity ca = makeIdentity("launch test CA", nullptr, true);
  Identity server =
      makeIdentity("localhost", &ca, false, "DNS:localhost,DNS:origin.test,IP:127.0.0.1,IP:::1", "serverAuth");
  Identity client = makeIdentity("launch-client", &ca, false, {}, "clientAuth");
  Identity otherCa = makeIdentity("another CA", nullptr, true);
};

}  // namespace launch::http::testing
