// libxmlsec1 (OpenSSL backend) for XML Signatures over CAP alerts. Swift cannot call the library's function-like
// macros (transform and key-data ids) or see its typed constants: each wrapper below forwards exactly one of them.
#ifndef TOCSIN_CXMLSEC_SHIM_H
#define TOCSIN_CXMLSEC_SHIM_H

// SwiftPM passes only -I from `pkg-config --cflags xmlsec1-openssl` ("prohibited flag(s)" for the -D ones), yet those
// set the library's types (XMLSEC_NO_SIZE_T: xmlSecSize is `unsigned int`) and its crypto backend: they are repeated
// here, as Debian 12's libxmlsec1-dev 1.2.37 gives them. CXMLSecShimTests fails if pkg-config ever says otherwise.
#ifndef XMLSEC_NO_SIZE_T
#define XMLSEC_NO_SIZE_T 1
#endif
#ifndef XMLSEC_CRYPTO_OPENSSL
#define XMLSEC_CRYPTO_OPENSSL 1
#endif
#ifndef XMLSEC_NO_CRYPTO_DYNAMIC_LOADING
#define XMLSEC_NO_CRYPTO_DYNAMIC_LOADING 1
#endif
#ifndef XMLSEC_OPENSSL3_ENGINES
#define XMLSEC_OPENSSL3_ENGINES 1
#endif
#ifndef XMLSEC_NO_GOST
#define XMLSEC_NO_GOST 1
#endif
#ifndef XMLSEC_NO_GOST2012
#define XMLSEC_NO_GOST2012 1
#endif
#ifndef __XMLSEC_FUNCTION__
#define __XMLSEC_FUNCTION__ __func__
#endif

// Debian's libxml2 is built with ICU, and its encoding.h then includes ICU's headers, which clash with the copy
// Foundation carries (module _FoundationICU). Nothing here touches the ICU converter fields that would hide.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/templates.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/openssl/x509.h>

// xmlSecSize is a #define (of `unsigned int` here), which Swift does not see.
typedef xmlSecSize tocsin_xmlsec_size;

// xmlSecCheckVersion() is a macro: the headers Tocsin was built against must match the library it runs with.
static inline int tocsin_xmlsec_check_version(void) {
    return xmlSecCheckVersion();
}

static inline xmlSecTransformId tocsin_xmlsec_exclusive_c14n(void) { return xmlSecTransformExclC14NId; }
static inline xmlSecTransformId tocsin_xmlsec_enveloped(void) { return xmlSecTransformEnvelopedId; }
static inline xmlSecTransformId tocsin_xmlsec_sha256(void) { return xmlSecTransformSha256Id; }
static inline xmlSecTransformId tocsin_xmlsec_rsa_sha256(void) { return xmlSecTransformRsaSha256Id; }
static inline xmlSecTransformId tocsin_xmlsec_ecdsa_sha256(void) { return xmlSecTransformEcdsaSha256Id; }

static inline xmlSecKeyDataId tocsin_xmlsec_key_data_x509(void) { return xmlSecKeyDataX509Id; }
static inline xmlSecKeyDataId tocsin_xmlsec_key_data_rsa(void) { return xmlSecKeyDataRsaId; }
static inline xmlSecKeyDataId tocsin_xmlsec_key_data_ecdsa(void) { return xmlSecKeyDataEcdsaId; }

// xmlSecKeyDataTypePrivate is a #define of a typed flag.
static inline int tocsin_xmlsec_key_is_private(xmlSecKeyPtr key) {
    return (xmlSecKeyGetType(key) & xmlSecKeyDataTypePrivate) != 0;
}

// X509_NAME_print_ex's flags are composed macros: RFC 2253 order (`CN=…,O=…,C=CA`), UTF-8 left as it is.
static inline unsigned long tocsin_x509_name_flags_utf8(void) {
    return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
}

// xmlFree is a global function pointer, which Swift imports as a variable it cannot call through in strict mode.
static inline void tocsin_xml_free(void *memory) {
    xmlFree(memory);
}

#endif
