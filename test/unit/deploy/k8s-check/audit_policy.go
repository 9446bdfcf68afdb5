package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/runtime/serializer"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	"k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// requestCase describes one API request; a case with Path set is a non-resource request.
type requestCase struct {
	User        string   `json:"user"`
	Groups      []string `json:"groups"`
	Verb        string   `json:"verb"`
	APIGroup    string   `json:"apiGroup"`
	Resource    string   `json:"resource"`
	Subresource string   `json:"subresource"`
	Namespace   string   `json:"namespace"`
	Path        string   `json:"path"`
}

type auditDecision struct {
	Level      auditinternal.Level   `json:"level"`
	OmitStages []auditinternal.Stage `json:"omitStages"`
}

// evaluateAuditPolicy loads the policy the way kube-apiserver does (decode, convert, validate)
// but refuses the lenient fallback kube-apiserver takes on unknown fields, then returns the
// decision kube-apiserver's own rule evaluator makes for each case.
func evaluateAuditPolicy(path string, stdin io.Reader) ([]auditDecision, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	strict := serializer.NewCodecFactory(audit.Scheme, serializer.EnableStrict).UniversalDecoder()
	if _, _, err := strict.Decode(data, nil, &auditinternal.Policy{}); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	loaded, err := policy.LoadPolicyFromBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var cases []requestCase
	if err := json.NewDecoder(stdin).Decode(&cases); err != nil {
		return nil, fmt.Errorf("request cases on stdin: %w", err)
	}
	evaluator := policy.NewPolicyRuleEvaluator(loaded)
	decisions := make([]auditDecision, 0, len(cases))
	for _, c := range cases {
		config := evaluator.EvaluatePolicyRule(c.attributes())
		decisions = append(decisions, auditDecision{Level: config.Level, OmitStages: config.OmitStages})
	}
	return decisions, nil
}

func (c requestCase) attributes() authorizer.Attributes {
	return &authorizer.AttributesRecord{
		User:            &user.DefaultInfo{Name: c.User, Groups: c.Groups},
		Verb:            c.Verb,
		Namespace:       c.Namespace,
		APIGroup:        c.APIGroup,
		Resource:        c.Resource,
		Subresource:     c.Subresource,
		ResourceRequest: c.Path == "",
		Path:            c.Path,
	}
}
