package main

import (
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// The API groups a node agent's manifests may use. A kind outside them fails the check, so a
// typo in apiVersion or kind cannot slip through as "unknown, not checked".
var builtinGroups = []func(*runtime.Scheme) error{
	corev1.AddToScheme,
	appsv1.AddToScheme,
	networkingv1.AddToScheme,
	policyv1.AddToScheme,
	rbacv1.AddToScheme,
	schedulingv1.AddToScheme,
}

// renderStrict runs kustomize in-process on dir and decodes every resulting object strictly
// into its Go type. It returns the objects as kustomize rendered them.
func renderStrict(dir string) ([]json.RawMessage, error) {
	kustomizer := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resources, err := kustomizer.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	decoder, err := strictDecoder()
	if err != nil {
		return nil, err
	}
	objects := []json.RawMessage{}
	for _, resource := range resources.Resources() {
		data, err := resource.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", resource.CurId(), err)
		}
		if _, _, err := decoder.Decode(data, nil, nil); err != nil {
			return nil, fmt.Errorf("%s/%s: %w", resource.GetKind(), resource.GetName(), err)
		}
		objects = append(objects, data)
	}
	return objects, nil
}

// strictDecoder knows the built-in groups plus any others given.
func strictDecoder(moreGroups ...func(*runtime.Scheme) error) (runtime.Decoder, error) {
	scheme := runtime.NewScheme()
	for _, addToScheme := range append(append([]func(*runtime.Scheme) error{}, builtinGroups...), moreGroups...) {
		if err := addToScheme(scheme); err != nil {
			return nil, err
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer(), nil
}
