import Foundation
import Testing
import TocsinCore

struct OAuth1SignerTests {
    /// RFC 5849 §1.2: the photos example, signed with HMAC-SHA1 (no `oauth_version`).
    @Test func matchesRFC5849PhotosExample() {
        let signer = OAuth1Signer(
            consumerKey: "dpf43f3p2l4k3l03", consumerSecret: Secret("kd94hf93k423kf44"),
            token: Secret("nnch734d00sl2jdk"), tokenSecret: Secret("pfkkdhi9sl3r4s00")
        )
        let header = signer.authorization(
            method: "GET", url: "http://photos.example.net/photos?file=vacation.jpg&size=original", nonce: "chapoH",
            timestamp: 137_131_202, includeVersion: false
        )
        #expect(header.contains(#"oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D""#))
        #expect(header == #"OAuth oauth_consumer_key="dpf43f3p2l4k3l03", oauth_nonce="chapoH", oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", oauth_token="nnch734d00sl2jdk""#)
    }

    /// RFC 5849 §3.4.1.1: the signature base string of the example request (query, form body, duplicates, encoding).
    @Test func baseStringMatchesRFC5849Example() {
        let base = OAuth1Signer.signatureBaseString(
            method: "post", url: "http://EXAMPLE.com:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
            parameters: [
                ("c2", ""), ("a3", "2 q"),
                ("oauth_consumer_key", "9djdj82h48djs9d2"), ("oauth_token", "kkk9d7dh3k39sjv7"),
                ("oauth_signature_method", "HMAC-SHA1"), ("oauth_timestamp", "137131201"), ("oauth_nonce", "7d8f3e4a"),
            ]
        )
        let expected = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q"
            + "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_"
            + "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m"
            + "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk"
            + "9d7dh3k39sjv7"
        #expect(base == expected)
    }

    /// X's documentation, "Creating a signature": the published example and its signature.
    @Test func matchesXDocumentedExample() {
        let signer = OAuth1Signer(
            consumerKey: "xvz1evFS4wEEPTGEFPHBog", consumerSecret: Secret("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"),
            token: Secret("370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"),
            tokenSecret: Secret("LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE")
        )
        let header = signer.authorization(
            method: "POST", url: "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
            parameters: [("status", "Hello Ladies + Gentlemen, a signed OAuth request!")],
            nonce: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", timestamp: 1_318_622_958
        )
        #expect(header.contains(#"oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D""#))
        #expect(header.contains(#"oauth_version="1.0""#))
    }

    @Test(arguments: [
        ("Ladies + Gentlemen", "Ladies%20%2B%20Gentlemen"),
        ("An encoded string!", "An%20encoded%20string%21"),
        ("Dogs, Cats & Mice", "Dogs%2C%20Cats%20%26%20Mice"),
        ("☃", "%E2%98%83"),
        ("-._~azAZ09", "-._~azAZ09"),
    ])
    func percentEncodingFollowsRFC3986(input: String, expected: String) {
        #expect(OAuth1Signer.percentEncode(input) == expected)
    }

    @Test func noncesAreFreshAndAlphanumeric() {
        let first = OAuth1Signer.randomNonce(), second = OAuth1Signer.randomNonce()
        #expect(first != second)
        #expect(first.count == 32 && first.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
    }
}
