package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// ReadClientConfig reads a client properties file as `sigma credentials PRINCIPAL` prints it: one key=value
// a line, split at the first "=" (a password may hold any other character); blank lines and "#" comments
// are skipped. The password stays in this file, never on the command line where other users could read it.
func ReadClientConfig(path string) (map[string]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("-config: %w", err)
	}
	defer file.Close()
	props := map[string]string{}
	lines := bufio.NewScanner(file)
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, found := strings.Cut(line, "=")
		if !found {
			return nil, fmt.Errorf("-config %s: not key=value: %q", path, key)
		}
		props[strings.TrimSpace(key)] = strings.TrimSpace(value)
	}
	return props, lines.Err()
}

// SecurityOptions turns the properties' security.protocol, sasl.* and ssl.ca.location into franz-go options:
// TLS trusting the given CA, SCRAM login. Any other security setting is refused rather than ignored, so a
// client never quietly connects with less security than its configuration asks for.
func SecurityOptions(props map[string]string) ([]kgo.Opt, error) {
	for key := range props {
		switch key {
		case "bootstrap.servers", "security.protocol", "sasl.mechanism", "sasl.username", "sasl.password",
			"ssl.ca.location":
		default:
			return nil, fmt.Errorf("-config: %s is not supported by this example", key)
		}
	}
	protocol := props["security.protocol"]
	var opts []kgo.Opt
	switch protocol {
	case "", "PLAINTEXT":
		return nil, nil
	case "SSL", "SASL_SSL":
		var roots *x509.CertPool // nil: the system's trusted CAs
		if ca := props["ssl.ca.location"]; ca != "" {
			pem, err := os.ReadFile(ca)
			if err != nil {
				return nil, fmt.Errorf("-config ssl.ca.location: %w", err)
			}
			roots = x509.NewCertPool()
			if !roots.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("-config ssl.ca.location: no PEM certificate in %s", ca)
			}
		}
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}))
	case "SASL_PLAINTEXT":
	default:
		return nil, fmt.Errorf("-config: security.protocol %s is not supported", protocol)
	}
	if !strings.HasPrefix(protocol, "SASL_") {
		return opts, nil
	}
	auth := scram.Auth{User: props["sasl.username"], Pass: props["sasl.password"]}
	switch props["sasl.mechanism"] {
	case "SCRAM-SHA-512":
		return append(opts, kgo.SASL(auth.AsSha512Mechanism())), nil
	case "SCRAM-SHA-256":
		return append(opts, kgo.SASL(auth.AsSha256Mechanism())), nil
	default:
		return nil, fmt.Errorf("-config: sasl.mechanism %q is not supported (SCRAM-SHA-512 or SCRAM-SHA-256)",
			props["sasl.mechanism"])
	}
}
