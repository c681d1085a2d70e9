package nl.sigma.example;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Chain events to Kafka records: key = case key, value = Avro single-object encoding of the released
 * schema, headers = CloudEvents 1.0 binary mode (docs/wire-contract.md).
 */
final class ChainRecords {
    /** Base of the schema URIs in ce_dataschema: the files are identified, not fetched. */
    static final String SCHEMA_BASE_URI = "https://sigma.example/";

    private final Path schemaDir;
    private final String prefix;
    private final String system;
    private final Map<String, BinaryMessageEncoder<GenericRecord>> encoders = new HashMap<>();
    private final Map<String, Schema> schemas = new HashMap<>();

    /**
     * @param schemaDir the repository's schemas/avro folder
     * @param prefix    topic prefix, joined verbatim before each chain topic ("" in production)
     * @param system    this system's name in ce_source
     */
    ChainRecords(Path schemaDir, String prefix, String system) {
        this.schemaDir = schemaDir;
        this.prefix = prefix;
        this.system = system;
    }

    private Schema schema(String subject, int version) {
        return schemas.computeIfAbsent(subject + "/v" + version, name -> {
            try {
                // a new parser per file: every file defines the shared enums (Partner, ...) again
                return new Schema.Parser().parse(schemaDir.resolve(subject).resolve("v" + version + ".avsc").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the schema of " + name, e);
            }
        });
    }

    /** One event as a Kafka record; {@code fields} holds the subject's own fields in plain Java types. */
    ProducerRecord<String, byte[]> record(ExampleCase.Event event, String caseKey, String eventId,
                                          Instant occurred, Instant recorded) {
        Schema schema = schema(event.subject(), event.version());
        Map<String, Object> payload = new HashMap<>(event.fields());
        payload.put("event_id", eventId);
        payload.put("case_key", caseKey);
        payload.put("partner", event.partner());
        payload.put("occurred_at", occurred);
        payload.put("recorded_at", recorded);
        payload.put("schema_version", (long) event.version());
        GenericData.Record value = new GenericData.Record(schema);
        for (Schema.Field field : schema.getFields()) {
            if (!payload.containsKey(field.name()) && !field.hasDefaultValue()) {
                throw new IllegalArgumentException(event.subject() + " needs the field " + field.name());
            }
            value.put(field.name(), payload.containsKey(field.name())
                    ? avro(field.schema(), payload.get(field.name()))
                    : GenericData.get().getDefaultValue(field));
        }
        // BinaryMessageEncoder writes C3 01, the CRC-64-AVRO fingerprint of the schema's Parsing Canonical
        // Form (little-endian), then the body: the Avro single-object encoding the contract asks for
        BinaryMessageEncoder<GenericRecord> encoder = encoders.computeIfAbsent(
                event.subject() + "/v" + event.version(), k -> new BinaryMessageEncoder<>(GenericData.get(), schema));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            encoder.encode(value, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(
                prefix + event.topic(), null, caseKey, bytes.toByteArray());
        header(record, "ce_specversion", "1.0");
        header(record, "ce_id", eventId);
        header(record, "ce_source", "/nl/" + event.partner() + "/" + system);
        header(record, "ce_type", "nl." + event.partner() + "." + event.subject() + ".v" + event.version());
        header(record, "ce_time", occurred.toString()); // RFC 3339 in UTC with Z
        header(record, "ce_dataschema",
                SCHEMA_BASE_URI + "schemas/avro/" + event.subject() + "/v" + event.version() + ".avsc");
        header(record, "content-type", "application/avro");
        return record;
    }

    private static void header(ProducerRecord<String, byte[]> record, String name, String value) {
        record.headers().add(new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8)));
    }

    /** A plain Java value as Avro's generic representation of {@code schema} (the contract's type mapping). */
    private static Object avro(Schema schema, Object value) {
        LogicalType logical = schema.getLogicalType();
        switch (schema.getType()) {
            case UNION: // the chain's optional fields are ["null", T]
                if (value == null) {
                    return null;
                }
                for (Schema branch : schema.getTypes()) {
                    if (branch.getType() != Schema.Type.NULL) {
                        return avro(branch, value);
                    }
                }
                throw new IllegalArgumentException("a union without a non-null branch");
            case ENUM:
                return new GenericData.EnumSymbol(schema, (String) value);
            case ARRAY:
                List<Object> items = new ArrayList<>();
                for (Object item : (List<?>) value) {
                    items.add(avro(schema.getElementType(), item));
                }
                return new GenericData.Array<>(schema, items);
            case LONG:
                if (logical != null && "timestamp-micros".equals(logical.getName())) {
                    return ChronoUnit.MICROS.between(Instant.EPOCH, (Instant) value);
                }
                return ((Number) value).longValue();
            case INT:
                if (logical != null && "date".equals(logical.getName())) {
                    return (int) ((LocalDate) value).toEpochDay();
                }
                return ((Number) value).intValue();
            case DOUBLE:
                return ((Number) value).doubleValue();
            default: // string, boolean
                return value;
        }
    }
}
