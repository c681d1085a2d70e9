package nl.sigma.example;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * A client properties file as {@code sigma credentials PRINCIPAL} prints it (librdkafka's names), turned into
 * the Java client's security settings: TLS trusting the given CA, SCRAM login. The password stays in that
 * file, never on the command line where other users of the machine could read it. Any other key is refused
 * rather than ignored, so the client never quietly connects with less security than asked for.
 */
final class ClientConfig {
    private static final Set<String> KNOWN = Set.of("bootstrap.servers", "security.protocol", "sasl.mechanism",
            "sasl.username", "sasl.password", "ssl.ca.location");

    private ClientConfig() {
    }

    /** One key=value a line, split at the first "=" (a password may hold any other character). */
    static Map<String, String> read(Path path) {
        Map<String, String> props = new HashMap<>();
        try {
            for (String raw : Files.readAllLines(path)) {
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int eq = line.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("-config " + path + ": not key=value: " + line.split("\\s")[0]);
                }
                String key = line.substring(0, eq).strip();
                if (!KNOWN.contains(key)) {
                    throw new IllegalArgumentException("-config: " + key + " is not supported by this example");
                }
                props.put(key, line.substring(eq + 1).strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("-config " + path + ": " + e.getMessage(), e);
        }
        return props;
    }

    /** The Java client's settings for the properties' security.protocol, sasl.* and ssl.ca.location. */
    static void applySecurity(Map<String, String> props, Properties config) {
        String protocol = props.getOrDefault("security.protocol", "PLAINTEXT");
        if (!Set.of("PLAINTEXT", "SSL", "SASL_SSL", "SASL_PLAINTEXT").contains(protocol)) {
            throw new IllegalArgumentException("-config: security.protocol " + protocol + " is not supported");
        }
        config.put("security.protocol", protocol);
        if (protocol.endsWith("SSL") && props.containsKey("ssl.ca.location")) {
            config.put("ssl.truststore.type", "PEM");
            config.put("ssl.truststore.location", props.get("ssl.ca.location"));
        }
        if (protocol.startsWith("SASL_")) {
            String mechanism = props.getOrDefault("sasl.mechanism", "");
            if (!mechanism.startsWith("SCRAM-SHA-")) {
                throw new IllegalArgumentException("-config: sasl.mechanism '" + mechanism
                        + "' is not supported (SCRAM-SHA-512 or SCRAM-SHA-256)");
            }
            config.put("sasl.mechanism", mechanism);
            config.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                    + " username=\"" + quoted(props.getOrDefault("sasl.username", "")) + "\""
                    + " password=\"" + quoted(props.getOrDefault("sasl.password", "")) + "\";");
        }
    }

    private static String quoted(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
