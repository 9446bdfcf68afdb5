// Command k8s-check gives the deployment tests what only Kubernetes' own Go code can answer
// exactly: how kustomize renders an overlay, whether every rendered object decodes strictly into
// its Kubernetes type (unknown or duplicate fields are errors, as with `kubectl apply
// --validate=strict`), and how kube-apiserver loads and evaluates an audit policy.
//
//	k8s-check render DIR           prints the rendered objects as a JSON array
//	k8s-check decode FILE|-        decodes a YAML stream (helm template) strictly, prints it as JSON
//	k8s-check audit-policy FILE    reads request cases (JSON array) on stdin, prints their levels
//
// Any problem is printed on stderr and the exit code is 1.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "k8s-check:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: k8s-check render DIR | k8s-check decode FILE | k8s-check audit-policy FILE < cases.json")
	}
	var result any
	var err error
	switch args[0] {
	case "render":
		result, err = renderStrict(args[1])
	case "decode":
		result, err = decodeStrict(args[1])
	case "audit-policy":
		result, err = evaluateAuditPolicy(args[1], stdin)
	default:
		err = fmt.Errorf("unknown command %q", args[0])
	}
	if err != nil {
		return err
	}
	encoder := json.NewEncoder(stdout)
	encoder.SetIndent("", "  ")
	return encoder.Encode(result)
}
