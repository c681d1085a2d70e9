// Command partner is an example partner system in Go: it publishes one complete forced-departure case
// to the chain topics the way docs/wire-contract.md says, with franz-go and hamba/avro.
//
//	SIGMA_CASE_KEY_SECRET=... go run . -bootstrap 127.0.0.1:9092 -v-number 1234567890 [-prefix P] [-schemas DIR]
//	    [-config FILE]
//
// It prints one JSON line with the case key, then one per record with where it landed.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "partner-example: error: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	bootstrap := flag.String("bootstrap", "", "Kafka bootstrap servers (host:port,...; default: the -config "+
		"file's bootstrap.servers, else 127.0.0.1:9092)")
	config := flag.String("config", "", "client properties as `sigma credentials PRINCIPAL` prints them "+
		"(TLS and SCRAM login; default: plaintext)")
	prefix := flag.String("prefix", "", "topic prefix, joined verbatim before each chain topic (sandboxes)")
	vNumber := flag.String("v-number", "", "the person's ten-digit V-number")
	schemas := flag.String("schemas", "../../schemas/avro", "folder of the released Avro schemas")
	system := flag.String("system", "go-example", "this system's name in ce_source")
	startText := flag.String("start", "", "RFC 3339 time of the handover (default: ten days ago)")
	flag.Parse()
	secret := os.Getenv("SIGMA_CASE_KEY_SECRET")
	if secret == "" {
		return errors.New("SIGMA_CASE_KEY_SECRET is not set: export the chain's case-key secret")
	}
	if !regexp.MustCompile(`^[0-9]{10}$`).MatchString(*vNumber) {
		return errors.New("-v-number must be ten digits")
	}
	start := time.Now().UTC().Add(-10 * 24 * time.Hour)
	if *startText != "" {
		parsed, err := time.Parse(time.RFC3339Nano, *startText)
		if err != nil {
			return fmt.Errorf("-start is not RFC 3339: %w", err)
		}
		start = parsed.UTC()
	}

	props := map[string]string{}
	if *config != "" {
		read, err := ReadClientConfig(*config)
		if err != nil {
			return err
		}
		props = read
	}
	security, err := SecurityOptions(props)
	if err != nil {
		return err
	}
	seeds := *bootstrap
	if seeds == "" {
		seeds = props["bootstrap.servers"]
	}
	if seeds == "" {
		seeds = "127.0.0.1:9092"
	}
	client, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(strings.Split(seeds, ",")...),
		// murmur2 of the key, masked to 31 bits, modulo the partition count: Java's placement (the contract)
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
		kgo.RequiredAcks(kgo.AllISRAcks()), // idempotent writes (the default) need acks from all replicas
	}, security...)...)
	if err != nil {
		return err
	}
	defer client.Close()

	caseKey := CaseKey(*vNumber, []byte(secret))
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(map[string]string{"case_key": caseKey}); err != nil {
		return err
	}
	catalogue := NewCatalogue(*schemas)
	ctx := context.Background()
	for _, step := range ExampleCase(start, *vNumber) {
		occurred := start.Add(step.After).Truncate(time.Microsecond)
		record, err := catalogue.Record(step.Event, *prefix, *system, caseKey, uuid4(), occurred,
			occurred.Add(2*time.Minute))
		if err != nil {
			return err
		}
		// one at a time, in order: the events of a case must stay in order on their partition
		sent, err := client.ProduceSync(ctx, record).First()
		if err != nil {
			return fmt.Errorf("sending %s to %s: %w", step.Event.Subject, record.Topic, err)
		}
		if err := out.Encode(map[string]any{"topic": sent.Topic, "partition": sent.Partition,
			"offset": sent.Offset, "subject": step.Event.Subject}); err != nil {
			return err
		}
	}
	return nil
}

// uuid4 is a random (version 4) UUID in lowercase hex, as event_id and ce_id want it.
func uuid4() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
