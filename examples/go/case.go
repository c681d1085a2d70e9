package main

import "time"

// Step is one event of the example case, at an offset from the case's start.
type Step struct {
	After time.Duration
	Event Event
}

// ExampleCase is a complete forced departure: every fact the validator checks is shared on time (before
// the checkpoint, 48 hours before the flight), and the departure itself is confirmed after the flight.
// Fields are in Avro's terms: timestamps and dates as time.Time, enums as their symbols, optional fields
// as nil or a value.
func ExampleCase(start time.Time, vNumber string) []Step {
	day := 24 * time.Hour
	departure := start.Add(8 * day)
	date := func(t time.Time) time.Time { return t.UTC().Truncate(day) }
	return []Step{
		{0, Event{"case_handed_over", "chain.ind.case.handover", 1, "ind", map[string]any{
			"v_number":           vNumber, // the only place the V-number travels: this payload, never a key or header
			"return_decision_id": "RD-2024-004711", "decision_date": date(start.Add(-3 * day)),
			"departure_deadline": date(start.Add(28 * day)), "track": "forced", "entry_ban": true}}},
		{1 * day, Event{"departure_talk_held", "chain.dtv.case.talk", 1, "dtv", map[string]any{
			"talk_number": int64(1), "outcome": "cooperative"}}},
		{1*day + time.Hour, Event{"travel_document_requested", "chain.dtv.case.document-requested", 1, "dtv", map[string]any{
			"document_type": "laissez_passer", "country": "MAR"}}},
		{2 * day, Event{"flight_booking", "chain.dtv.flight", 1, "dtv", map[string]any{
			"booking_ref": "BK9GO1", "carrier": "KL", "flight_number": "KL1235", "departure_airport": "AMS",
			"arrival_airport": "CMN", "scheduled_departure": departure, "escort_count": int64(2),
			"status": "booked", "cancellation_reason": nil}}},
		{3 * day, Event{"travel_document_obtained", "chain.dtv.case.document-obtained", 1, "dtv", map[string]any{
			"document_type": "laissez_passer", "country": "MAR", "valid_until": date(start.Add(90 * day))}}},
		{3*day + time.Hour, Event{"removability_confirmed", "chain.ind.case.removability", 1, "ind", map[string]any{
			"removable": true, "pending_procedure": false}}},
		{4 * day, Event{"belongings", "chain.coa.belongings", 1, "coa", map[string]any{
			"items": []any{"suitcase", "backpack"}, "bag_count": int64(2), "total_weight_kg": 23.5,
			"valuables": []any{"phone"}, "location": "coa_location"}}},
		{4*day + time.Hour, Event{"physical_features", "chain.dtv.physical-features", 1, "dtv", map[string]any{
			"height_cm": int64(181), "build": "average", "distinguishing_marks": []any{},
			"photo_ref": "PH-004711"}}},
		{4*day + 2*time.Hour, Event{"medical_situation", "chain.medical.medical", 1, "medical", map[string]any{
			"relevant_circumstances": false, "postponed": false, "postponed_until": nil}}},
		{4*day + 3*time.Hour, Event{"fit_to_fly", "chain.medical.fit-to-fly", 1, "medical", map[string]any{
			"fit": true, "doctor_ref": "BIG-19012345678", "issued_at": start.Add(4 * day),
			"valid_until": departure.Add(7 * day), "conditions": []any{}}}},
		{5 * day, Event{"escort_plan", "chain.kmar.escort", 1, "kmar", map[string]any{
			"booking_ref": "BK9GO1", "escorted": true, "escort_count": int64(2), "medical_escort": false}}},
		{5*day + time.Hour, Event{"flight_notified", "chain.dtv.case.flight-notified", 1, "dtv", map[string]any{
			"booking_ref": "BK9GO1", "notified_at": start.Add(5 * day)}}},
		{8*day + time.Hour, Event{"departure_confirmed", "chain.kmar.case", 1, "kmar", map[string]any{
			"booking_ref": "BK9GO1", "departed_at": departure.Add(10 * time.Minute)}}},
		{9 * day, Event{"case_closed", "chain.dtv.case", 1, "dtv", map[string]any{
			"outcome": "forced_departure"}}},
	}
}
