import type { K8sObject } from './k8s-check.js';

/** A kubernetes-models class: constructed from plain JSON, `validate()` throws on a schema error. */
type ModelClass = new (data: unknown) => { validate(): void };

/**
 * Validates an object against the Kubernetes OpenAPI schema as packaged by kubernetes-models
 * (required fields, types, formats). Unknown fields are the Go strict decoder's job (k8s-check).
 */
export async function validateAgainstSchema(object: K8sObject): Promise<void> {
  const modulePath = `kubernetes-models/${object.apiVersion}`;
  const models = (await import(modulePath)) as Record<string, ModelClass | undefined>;
  const Model = models[object.kind];
  if (!Model) throw new Error(`kubernetes-models has no ${object.kind} in ${object.apiVersion}`);
  try {
    new Model(object).validate();
  } catch (error) {
    throw new Error(`${object.kind}/${object.metadata.name}: ${(error as Error).message}`);
  }
}
