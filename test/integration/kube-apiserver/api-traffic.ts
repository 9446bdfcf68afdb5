import { randomBytes } from 'node:crypto';
import type { ApiClient } from './api-client.js';

/**
 * Real API traffic of the kinds an audit log must hold: Secrets with data, ConfigMaps, RBAC
 * writes (logged with their bodies by the policy, so they fill the log fast), reads, watches, and
 * requests refused to an anonymous caller, to a user without rights and to a wrong token.
 */
export class ApiTraffic {
  /** Every Secret value written, raw: none may reach the sink. */
  readonly secretValues: string[] = [];
  private round = 0;

  constructor(
    private readonly admin: ApiClient,
    private readonly anonymous: ApiClient,
    private readonly nobody: ApiClient,
    private readonly wrongToken: ApiClient,
    private readonly namespace = 'kaf-traffic',
  ) {}

  async createNamespace(): Promise<void> {
    await this.admin.expect(201, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } });
  }

  /** One round of every kind of request; several hundred KB of audit log. */
  async oneRound(): Promise<void> {
    const round = (this.round += 1);
    const ns = `/api/v1/namespaces/${this.namespace}`;
    const value = randomBytes(24).toString('hex');
    this.secretValues.push(value);
    await this.admin.expect(201, 'POST', `${ns}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `s-${round}` },
      data: { password: Buffer.from(value).toString('base64') },
    });
    await this.admin.expect(201, 'POST', `${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${round}` },
      data: { setting: `value-${round}`, blob: 'x'.repeat(2048) },
    });
    await this.admin.expect(200, 'GET', `${ns}/secrets/s-${round}`);
    await this.admin.expect(200, 'GET', `${ns}/configmaps?limit=50`);
    for (let role = 0; role < 6; role += 1) await this.createRole(`r-${round}-${role}`);
    await this.anonymous.expect(403, 'GET', `${ns}/secrets`);
    await this.nobody.expect(403, 'GET', `${ns}/secrets/s-${round}`);
    await this.nobody.expect(403, 'DELETE', `${ns}/configmaps/cm-${round}`);
    await this.wrongToken.expect(401, 'GET', `${ns}/configmaps`);
    if (round % 4 === 0) await this.admin.watch(`${ns}/configmaps`, 1);
    if (round % 2 === 0) await this.admin.expect(200, 'DELETE', `${ns}/secrets/s-${round - 1}`);
  }

  /** A Role with many rules: the policy logs RBAC writes with request and response bodies. */
  private async createRole(name: string): Promise<void> {
    const rules = Array.from({ length: 120 }, (_, index) => ({
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: [`${name}-cm-${index}`],
      verbs: ['get', 'list', 'watch'],
    }));
    await this.admin.expect(201, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${this.namespace}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name },
      rules,
    });
  }
}
