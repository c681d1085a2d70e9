package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Why not the Avro library's fingerprint: hamba/avro v2.31.0 keeps "logicalType" in its canonical form,
// which the Avro specification strips, so its fingerprints of schemas with timestamps or dates differ from
// every other implementation's (docs/wire-contract.md, "Checking your Avro library"). This file follows
// the specification directly; contract_test.go checks it against the published vectors.

var primitives = map[string]bool{"null": true, "boolean": true, "int": true, "long": true, "float": true,
	"double": true, "bytes": true, "string": true}

// CanonicalForm is the Parsing Canonical Form of an Avro schema given as JSON text (Avro specification,
// "Parsing Canonical Form for Schemas"): primitives as bare names, full names, only the attributes that
// matter for parsing, in the specification's order, no whitespace, named types written once.
func CanonicalForm(schemaJSON []byte) (string, error) {
	decoder := json.NewDecoder(bytes.NewReader(schemaJSON))
	decoder.UseNumber()
	var node any
	if err := decoder.Decode(&node); err != nil {
		return "", err
	}
	var out strings.Builder
	err := canonical(node, "", map[string]bool{}, &out)
	return out.String(), err
}

func canonical(node any, namespace string, seen map[string]bool, out *strings.Builder) error {
	switch n := node.(type) {
	case string:
		if primitives[n] {
			out.WriteString(quote(n))
		} else {
			out.WriteString(quote(fullName(n, namespace)))
		}
		return nil
	case []any:
		out.WriteString("[")
		for i, branch := range n {
			if i > 0 {
				out.WriteString(",")
			}
			if err := canonical(branch, namespace, seen, out); err != nil {
				return err
			}
		}
		out.WriteString("]")
		return nil
	case map[string]any:
		return canonicalObject(n, namespace, seen, out)
	}
	return fmt.Errorf("not an Avro schema node: %v", node)
}

func canonicalObject(n map[string]any, namespace string, seen map[string]bool, out *strings.Builder) error {
	kind, _ := n["type"].(string)
	switch {
	case primitives[kind]: // {"type": "long", "logicalType": ...} is just "long"
		out.WriteString(quote(kind))
		return nil
	case kind == "array":
		out.WriteString(`{"type":"array","items":`)
		if err := canonical(n["items"], namespace, seen, out); err != nil {
			return err
		}
		out.WriteString("}")
		return nil
	case kind == "map":
		out.WriteString(`{"type":"map","values":`)
		if err := canonical(n["values"], namespace, seen, out); err != nil {
			return err
		}
		out.WriteString("}")
		return nil
	case kind != "record" && kind != "error" && kind != "enum" && kind != "fixed":
		return fmt.Errorf("unknown Avro type %q", n["type"])
	}
	name, _ := n["name"].(string)
	if ns, ok := n["namespace"].(string); ok && !strings.Contains(name, ".") {
		namespace = ns
	}
	full := fullName(name, namespace)
	if seen[full] { // a named type is written once; later uses are its full name
		out.WriteString(quote(full))
		return nil
	}
	seen[full] = true
	if i := strings.LastIndex(full, "."); i >= 0 {
		namespace = full[:i]
	} else {
		namespace = ""
	}
	out.WriteString(`{"name":` + quote(full) + `,"type":` + quote(kind))
	switch kind {
	case "enum":
		symbols, err := json.Marshal(n["symbols"])
		if err != nil {
			return err
		}
		out.WriteString(`,"symbols":` + string(symbols))
	case "fixed":
		out.WriteString(`,"size":` + fmt.Sprint(n["size"]))
	default:
		out.WriteString(`,"fields":[`)
		fields, _ := n["fields"].([]any)
		for i, f := range fields {
			field, _ := f.(map[string]any)
			fieldName, _ := field["name"].(string)
			if i > 0 {
				out.WriteString(",")
			}
			out.WriteString(`{"name":` + quote(fieldName) + `,"type":`)
			if err := canonical(field["type"], namespace, seen, out); err != nil {
				return err
			}
			out.WriteString("}")
		}
		out.WriteString("]")
	}
	out.WriteString("}")
	return nil
}

func fullName(name, namespace string) string {
	if strings.Contains(name, ".") || namespace == "" {
		return name
	}
	return namespace + "." + name
}

func quote(s string) string {
	var b bytes.Buffer
	encoder := json.NewEncoder(&b)
	encoder.SetEscapeHTML(false)
	_ = encoder.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// crc64Empty is the CRC-64-AVRO of no bytes, and the polynomial of its table.
const crc64Empty uint64 = 0xc15d213aa4d7a795

var crc64Table = func() (table [256]uint64) {
	for i := range table {
		fp := uint64(i)
		for j := 0; j < 8; j++ {
			fp = (fp >> 1) ^ (crc64Empty & -(fp & 1))
		}
		table[i] = fp
	}
	return table
}()

// Fingerprint is the 8-byte CRC-64-AVRO fingerprint of a canonical form, little-endian: the bytes that
// follow C3 01 in the single-object encoding.
func Fingerprint(canonicalForm string) []byte {
	fp := crc64Empty
	for _, b := range []byte(canonicalForm) {
		fp = (fp >> 8) ^ crc64Table[byte(fp)^b]
	}
	out := make([]byte, 8)
	for i := range out {
		out[i] = byte(fp >> (8 * i))
	}
	return out
}
