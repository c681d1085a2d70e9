package nl.sigma.example;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The pseudonymous case key (docs/wire-contract.md, "The key"): the Kafka key of every event of a case. */
final class CaseKey {
    private CaseKey() {
    }

    /** "ck_" + the first 24 lowercase hex characters of HMAC-SHA256(UTF-8 secret, UTF-8 V-number). */
    static String of(String vNumber, String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal(vNumber.getBytes(StandardCharsets.UTF_8));
            return "ck_" + HexFormat.of().formatHex(digest).substring(0, 24);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is part of every Java runtime", e);
        }
    }
}
