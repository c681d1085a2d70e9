package nl.sigma.example;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * An example partner system in Java: publishes one complete forced-departure case to the chain topics as
 * docs/wire-contract.md says. Prints one JSON line with the case key, then one per record with where it
 * landed.
 *
 * <pre>SIGMA_CASE_KEY_SECRET=... java -jar target/partner-example.jar -bootstrap HOST:PORT -v-number NNNNNNNNNN
 *     [-prefix P] [-schemas DIR] [-system NAME] [-start RFC3339] [-config FILE]</pre>
 *
 * <p>{@code -config FILE}: client properties as {@code sigma credentials PRINCIPAL} prints them (TLS and SCRAM
 * login; its bootstrap.servers unless -bootstrap is given); without it the client talks plaintext.
 */
public final class PartnerExample {
    private PartnerExample() {
    }

    public static void main(String[] args) {
        try {
            run(options(args));
        } catch (IllegalArgumentException | UncheckedIOException | KafkaException e) {
            System.err.println("partner-example: error: " + e.getMessage());
            System.exit(1);
        } catch (ExecutionException e) {
            System.err.println("partner-example: error: " + e.getCause().getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.exit(1);
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>(Map.of("-bootstrap", "", "-prefix", "",
                "-schemas", "../../schemas/avro", "-system", "java-example", "-v-number", "", "-start", "",
                "-config", ""));
        for (int i = 0; i < args.length; i += 2) {
            if (!options.containsKey(args[i]) || i + 1 == args.length) {
                throw new IllegalArgumentException("unknown option or missing value: " + args[i]
                        + " (options: " + String.join(" ", options.keySet()) + ")");
            }
            options.put(args[i], args[i + 1]);
        }
        if (!options.get("-v-number").matches("[0-9]{10}")) {
            throw new IllegalArgumentException("-v-number must be ten digits");
        }
        return options;
    }

    private static void run(Map<String, String> options) throws ExecutionException, InterruptedException {
        String secret = System.getenv("SIGMA_CASE_KEY_SECRET");
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("SIGMA_CASE_KEY_SECRET is not set: export the chain's case-key secret");
        }
        Instant start;
        try {
            start = options.get("-start").isEmpty() ? Instant.now().minus(Duration.ofDays(10))
                    : Instant.parse(options.get("-start"));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("-start is not RFC 3339 in UTC (2024-03-04T09:30:00Z)");
        }
        String vNumber = options.get("-v-number");
        String caseKey = CaseKey.of(vNumber, secret);
        ChainRecords records = new ChainRecords(Path.of(options.get("-schemas")), options.get("-prefix"),
                options.get("-system"));

        Map<String, String> props = options.get("-config").isEmpty() ? Map.of()
                : ClientConfig.read(Path.of(options.get("-config")));
        String bootstrap = options.get("-bootstrap").isEmpty()
                ? props.getOrDefault("bootstrap.servers", "127.0.0.1:9092") : options.get("-bootstrap");
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        ClientConfig.applySecurity(props, config);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()); // UTF-8
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000"); // a missing topic fails within 20 s
        // no partitioner.class: the Java client's built-in partitioner places a keyed record on
        // toPositive(murmur2(key)) % partitions, which is what the contract prescribes for every client

        System.out.println("{\"case_key\":\"" + caseKey + "\"}");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config)) {
            for (ExampleCase.Step step : ExampleCase.steps(start, vNumber)) {
                Instant occurred = start.plus(step.after()).truncatedTo(ChronoUnit.MICROS);
                ProducerRecord<String, byte[]> record = records.record(step.event(), caseKey,
                        UUID.randomUUID().toString(), occurred, occurred.plus(Duration.ofMinutes(2)));
                // one at a time, in order: the events of a case must stay in order on their partition
                RecordMetadata sent = producer.send(record).get();
                System.out.println("{\"topic\":\"" + sent.topic() + "\",\"partition\":" + sent.partition()
                        + ",\"offset\":" + sent.offset() + ",\"subject\":\"" + step.event().subject() + "\"}");
            }
        }
    }
}
