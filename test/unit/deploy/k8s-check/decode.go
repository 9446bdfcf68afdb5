package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// decodeStrict reads a stream of YAML documents (what `helm template` prints; "-" is stdin) and
// decodes each object strictly into its Go type: the Kubernetes built-ins, plus the Prometheus
// Operator's PodMonitor, ServiceMonitor and PrometheusRule. It returns the objects as JSON.
func decodeStrict(file string) ([]json.RawMessage, error) {
	var input io.Reader = os.Stdin
	if file != "-" {
		opened, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer opened.Close()
		input = opened
	}
	decoder, err := strictDecoder(monitoringv1.AddToScheme)
	if err != nil {
		return nil, err
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(input))
	objects := []json.RawMessage{}
	for index := 0; ; index++ {
		document, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objects, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", index, err)
		}
		// Duplicate keys are errors, as kube-apiserver's strict field validation makes them.
		data, err := yaml.YAMLToJSONStrict(document)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", index, err)
		}
		if len(bytes.TrimSpace(data)) == 0 || bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
			continue
		}
		if _, _, err := decoder.Decode(data, nil, nil); err != nil {
			return nil, fmt.Errorf("document %d: %w", index, err)
		}
		objects = append(objects, data)
	}
}
