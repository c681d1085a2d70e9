package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// vectors are the wire contract's test vectors (docs/wire-contract-vectors.json), generated from the
// code that writes sigma's own records: this producer must compute the same values.
type vectors struct {
	CaseKeys []struct {
		VNumber string `json:"v_number"`
		Secret  string `json:"secret"`
		CaseKey string `json:"case_key"`
	} `json:"case_keys"`
	Partitions []struct {
		Key       string         `json:"key"`
		Partition map[string]int `json:"partition"`
	} `json:"partitions"`
	CRC64 []struct {
		Text        string `json:"text"`
		Fingerprint string `json:"fingerprint_hex"`
	} `json:"crc64_avro"`
	Schemas []struct {
		Subject       string `json:"subject"`
		Version       int    `json:"version"`
		CanonicalForm string `json:"canonical_form"`
		Fingerprint   string `json:"fingerprint_hex"`
	} `json:"schemas"`
}

func load(t *testing.T) vectors {
	t.Helper()
	text, err := os.ReadFile("../../docs/wire-contract-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(text, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.CaseKeys) == 0 || len(v.Partitions) == 0 || len(v.CRC64) == 0 || len(v.Schemas) == 0 {
		t.Fatal("the vectors file lacks a section")
	}
	return v
}

func TestCaseKeys(t *testing.T) {
	for _, c := range load(t).CaseKeys {
		if got := CaseKey(c.VNumber, []byte(c.Secret)); got != c.CaseKey {
			t.Errorf("CaseKey(%s, %q) = %s, want %s", c.VNumber, c.Secret, got, c.CaseKey)
		}
	}
}

func TestPartitionerPlacesKeysAsJava(t *testing.T) {
	for _, p := range load(t).Partitions {
		for count, want := range p.Partition {
			n, _ := strconv.Atoi(count)
			partitioner := kgo.StickyKeyPartitioner(nil).ForTopic("chain.dtv.case")
			if got := partitioner.Partition(&kgo.Record{Key: []byte(p.Key)}, n); got != want {
				t.Errorf("%s over %d partitions: %d, want %d", p.Key, n, got, want)
			}
		}
	}
}

func TestCRC64Avro(t *testing.T) {
	for _, c := range load(t).CRC64 {
		if got := hex.EncodeToString(Fingerprint(c.Text)); got != c.Fingerprint {
			t.Errorf("fingerprint of %q = %s, want %s", c.Text, got, c.Fingerprint)
		}
	}
}

func TestCanonicalFormAndFingerprintOfEveryReleasedSchema(t *testing.T) {
	for _, s := range load(t).Schemas {
		text, err := os.ReadFile(filepath.Join("../../schemas/avro", s.Subject, fmt.Sprintf("v%d.avsc", s.Version)))
		if err != nil {
			t.Fatal(err)
		}
		form, err := CanonicalForm(text)
		if err != nil {
			t.Fatalf("%s v%d: %v", s.Subject, s.Version, err)
		}
		if form != s.CanonicalForm {
			t.Errorf("%s v%d canonical form:\n got %s\nwant %s", s.Subject, s.Version, form, s.CanonicalForm)
		}
		if got := hex.EncodeToString(Fingerprint(form)); got != s.Fingerprint {
			t.Errorf("%s v%d fingerprint %s, want %s", s.Subject, s.Version, got, s.Fingerprint)
		}
	}
}
