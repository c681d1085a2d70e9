package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
)

// schemaBaseURI names the released schema files in ce_dataschema (they are identified, not fetched).
const schemaBaseURI = "https://sigma.example/"

// writer is one released schema: parsed, and the 10-byte single-object header of its values.
type writer struct {
	schema avro.Schema
	header []byte
}

// Catalogue holds the released Avro schemas this producer writes with, one per subject.
type Catalogue struct {
	dir     string
	writers map[string]writer
}

// NewCatalogue reads schemas from dir (the repository's schemas/avro folder) as they are needed.
func NewCatalogue(dir string) *Catalogue {
	return &Catalogue{dir: dir, writers: map[string]writer{}}
}

func (c *Catalogue) writer(subject string, version int) (writer, error) {
	name := fmt.Sprintf("%s/v%d", subject, version)
	if w, ok := c.writers[name]; ok {
		return w, nil
	}
	text, err := os.ReadFile(filepath.Join(c.dir, subject, fmt.Sprintf("v%d.avsc", version)))
	if err != nil {
		return writer{}, err
	}
	// every file defines the shared enums (Partner, ...) again: one cache per file keeps them apart
	schema, err := avro.ParseWithCache(string(text), "", &avro.SchemaCache{})
	if err != nil {
		return writer{}, fmt.Errorf("%s: %w", name, err)
	}
	form, err := CanonicalForm(text)
	if err != nil {
		return writer{}, fmt.Errorf("%s: %w", name, err)
	}
	w := writer{schema, append([]byte{0xc3, 0x01}, Fingerprint(form)...)}
	c.writers[name] = w
	return w, nil
}

// Event is one chain event: its subject, where it goes, and its payload fields in Avro's terms.
type Event struct {
	Subject string
	Topic   string
	Version int
	Partner string
	Fields  map[string]any
}

// Record builds the Kafka record: key = case key, value = Avro single-object encoding, CloudEvents headers.
func (c *Catalogue) Record(e Event, prefix, system, caseKey, eventID string, occurred, recorded time.Time) (*kgo.Record, error) {
	w, err := c.writer(e.Subject, e.Version)
	if err != nil {
		return nil, err
	}
	payload := map[string]any{
		"event_id": eventID, "case_key": caseKey, "partner": e.Partner,
		"occurred_at": occurred, "recorded_at": recorded, "schema_version": int64(e.Version),
	}
	for k, v := range e.Fields {
		payload[k] = v
	}
	body, err := avro.Marshal(w.schema, payload)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Subject, err)
	}
	headers := []kgo.RecordHeader{
		{Key: "ce_specversion", Value: []byte("1.0")},
		{Key: "ce_id", Value: []byte(eventID)},
		{Key: "ce_source", Value: []byte("/nl/" + e.Partner + "/" + system)},
		{Key: "ce_type", Value: []byte(fmt.Sprintf("nl.%s.%s.v%d", e.Partner, e.Subject, e.Version))},
		{Key: "ce_time", Value: []byte(occurred.UTC().Format(time.RFC3339Nano))},
		{Key: "ce_dataschema", Value: []byte(fmt.Sprintf("%sschemas/avro/%s/v%d.avsc", schemaBaseURI, e.Subject, e.Version))},
		{Key: "content-type", Value: []byte("application/avro")},
	}
	return &kgo.Record{
		Topic:   prefix + e.Topic, // the prefix is joined verbatim, no separator added
		Key:     []byte(caseKey),
		Value:   append(append([]byte{}, w.header...), body...), // C3 01 + fingerprint + Avro body
		Headers: headers,
	}, nil
}
