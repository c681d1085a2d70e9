package nl.sigma.example;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * A complete forced departure: every fact the validator checks is shared on time (before the checkpoint,
 * 48 hours before the flight), and the departure itself is confirmed after the flight. Fields are plain
 * Java values: Instant for timestamp-micros, LocalDate for date, String for enum symbols, null for an
 * absent optional field.
 */
final class ExampleCase {
    private ExampleCase() {
    }

    /** One event: its subject, topic (without prefix), schema version, producing partner and own fields. */
    record Event(String subject, String topic, int version, String partner, Map<String, Object> fields) {
    }

    /** An event at an offset from the handover. */
    record Step(Duration after, Event event) {
    }

    static List<Step> steps(Instant start, String vNumber) {
        Duration day = Duration.ofDays(1);
        Duration hour = Duration.ofHours(1);
        Instant departure = start.plus(day.multipliedBy(8));
        LocalDate today = LocalDate.ofInstant(start, ZoneOffset.UTC);
        return List.of(
            new Step(Duration.ZERO, new Event("case_handed_over", "chain.ind.case.handover", 1, "ind", Map.of(
                "v_number", vNumber, // the only place the V-number travels: this payload, never a key or header
                "return_decision_id", "RD-2024-004712", "decision_date", today.minusDays(3),
                "departure_deadline", today.plusDays(28), "track", "forced", "entry_ban", true))),
            new Step(day, new Event("departure_talk_held", "chain.dtv.case.talk", 1, "dtv", Map.of(
                "talk_number", 1L, "outcome", "cooperative"))),
            new Step(day.plus(hour), new Event("travel_document_requested",
                "chain.dtv.case.document-requested", 1, "dtv", Map.of(
                "document_type", "laissez_passer", "country", "MAR"))),
            new Step(day.multipliedBy(2), new Event("flight_booking", "chain.dtv.flight", 1, "dtv", Map.of(
                "booking_ref", "BK9JV1", "carrier", "KL", "flight_number", "KL1236", "departure_airport", "AMS",
                "arrival_airport", "CMN", "scheduled_departure", departure, "escort_count", 2L,
                "status", "booked"))), // cancellation_reason left out: its default, null
            new Step(day.multipliedBy(3), new Event("travel_document_obtained",
                "chain.dtv.case.document-obtained", 1, "dtv", Map.of(
                "document_type", "laissez_passer", "country", "MAR", "valid_until", today.plusDays(90)))),
            new Step(day.multipliedBy(3).plus(hour), new Event("removability_confirmed",
                "chain.ind.case.removability", 1, "ind",
                Map.of("removable", true, "pending_procedure", false))),
            new Step(day.multipliedBy(4), new Event("belongings", "chain.coa.belongings", 1, "coa", Map.of(
                "items", List.of("suitcase", "backpack"), "bag_count", 2L, "total_weight_kg", 23.5,
                "valuables", List.of("phone"), "location", "coa_location"))),
            new Step(day.multipliedBy(4).plus(hour), new Event("physical_features", "chain.dtv.physical-features", 1,
                "dtv", Map.of("height_cm", 181L, "build", "average", "distinguishing_marks", List.of(),
                "photo_ref", "PH-004712"))),
            new Step(day.multipliedBy(4).plus(hour.multipliedBy(2)), new Event("medical_situation",
                "chain.medical.medical",
                1, "medical", Map.of("relevant_circumstances", false, "postponed", false))),
            new Step(day.multipliedBy(4).plus(hour.multipliedBy(3)), new Event("fit_to_fly",
                "chain.medical.fit-to-fly", 1,
                "medical", Map.of("fit", true, "doctor_ref", "BIG-19012345679", "issued_at", start.plus(day.multipliedBy(4)),
                "valid_until", departure.plus(day.multipliedBy(7)), "conditions", List.of()))),
            new Step(day.multipliedBy(5), new Event("escort_plan", "chain.kmar.escort", 1, "kmar", Map.of(
                "booking_ref", "BK9JV1", "escorted", true, "escort_count", 2L, "medical_escort", false))),
            new Step(day.multipliedBy(5).plus(hour), new Event("flight_notified",
                "chain.dtv.case.flight-notified", 1, "dtv", Map.of(
                "booking_ref", "BK9JV1", "notified_at", start.plus(day.multipliedBy(5))))),
            new Step(day.multipliedBy(8).plus(hour), new Event("departure_confirmed",
                "chain.kmar.case", 1, "kmar", Map.of(
                "booking_ref", "BK9JV1", "departed_at", departure.plus(Duration.ofMinutes(10))))),
            new Step(day.multipliedBy(9), new Event("case_closed", "chain.dtv.case", 1, "dtv", Map.of(
                "outcome", "forced_departure"))));
    }
}
