package nl.sigma.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** This producer, the Java Kafka client and Apache Avro against the wire contract's test vectors. */
class ContractVectorsTest {
    private static final Path REPO = Path.of("../..");
    private static JsonNode vectors;

    @BeforeAll
    static void load() throws IOException {
        vectors = new ObjectMapper().readTree(REPO.resolve("docs/wire-contract-vectors.json").toFile());
    }

    @Test
    void caseKeys() {
        assertFalse(vectors.get("case_keys").isEmpty());
        for (JsonNode row : vectors.get("case_keys")) {
            assertEquals(row.get("case_key").asText(), CaseKey.of(row.get("v_number").asText(), row.get("secret").asText()));
        }
    }

    @Test
    void theJavaClientPlacesKeysWhereTheContractSays() {
        for (JsonNode row : vectors.get("partitions")) {
            byte[] key = row.get("key").asText().getBytes(StandardCharsets.US_ASCII);
            for (Map.Entry<String, JsonNode> count : row.get("partition").properties()) {
                assertEquals(count.getValue().asInt(),
                        BuiltInPartitioner.partitionForKey(key, Integer.parseInt(count.getKey())), row.get("key").asText());
            }
        }
    }

    @Test
    void apacheAvroComputesTheCanonicalFormAndFingerprintOfEveryReleasedSchema() throws IOException {
        for (JsonNode row : vectors.get("schemas")) {
            File file = REPO.resolve("schemas/avro").resolve(row.get("subject").asText())
                    .resolve("v" + row.get("version").asInt() + ".avsc").toFile();
            Schema schema = new Schema.Parser().parse(file);
            assertEquals(row.get("canonical_form").asText(), SchemaNormalization.toParsingForm(schema));
            long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
            byte[] littleEndian = new byte[8];
            for (int i = 0; i < 8; i++) {
                littleEndian[i] = (byte) (fingerprint >>> (8 * i));
            }
            assertEquals(row.get("fingerprint_hex").asText(), HexFormat.of().formatHex(littleEndian));
        }
    }

    @Test
    void theWholeExampleRecordIsByteForByteWhatSigmaWrites() {
        JsonNode expected = vectors.at("/records/avro");
        JsonNode payload = expected.get("payload");
        List<Object> conditions = new ArrayList<>();
        payload.get("conditions").forEach(c -> conditions.add(c.asText()));
        ExampleCase.Event event = new ExampleCase.Event("fit_to_fly", "chain.medical.fit-to-fly", 1,
                payload.get("partner").asText(), Map.of(
                        "fit", payload.get("fit").asBoolean(), "doctor_ref", payload.get("doctor_ref").asText(),
                        "issued_at", Instant.parse(payload.get("issued_at").asText()),
                        "valid_until", Instant.parse(payload.get("valid_until").asText()), "conditions", conditions));
        ProducerRecord<String, byte[]> record = new ChainRecords(REPO.resolve("schemas/avro"), "", "sigma").record(
                event, payload.get("case_key").asText(), payload.get("event_id").asText(),
                Instant.parse(payload.get("occurred_at").asText()), Instant.parse(payload.get("recorded_at").asText()));
        assertEquals(expected.get("topic").asText(), record.topic());
        assertEquals(expected.get("key").asText(), record.key());
        List<String> headers = new ArrayList<>();
        for (Header header : record.headers()) {
            headers.add(header.key() + "=" + new String(header.value(), StandardCharsets.UTF_8));
        }
        List<String> expectedHeaders = new ArrayList<>();
        expected.get("headers").forEach(h -> expectedHeaders.add(h.get("name").asText() + "=" + h.get("value").asText()));
        assertEquals(expectedHeaders, headers);
        assertEquals(expected.get("value_hex").asText(), HexFormat.of().formatHex(record.value()));
    }
}
