// JSON-lines IAM simulation server for boi-iam tests.
//
// One request per stdin line, one response per stdout line, in order:
//   {"id": 1, "mode": "simulate" | "direct" | "version", "simulation": {...}, "options": {...}}
//   {"id": 1, "result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "Error",
//    "resultType": ..., "resourceType": ..., "ignoredContextKeys": [...], "reasons": [...], "errors": ...}
//
// The simulator is AGPL-3.0-or-later; it runs only here, in its own process, and only at test time.
import { runSimulation, getDenialReasons, getGrantReasons, isWildcardOnlyAction } from '@cloud-copilot/iam-simulate'
import { loadPolicy } from '@cloud-copilot/iam-policy'
import { readFileSync } from 'node:fs'
import readline from 'node:readline'

// The packages do not export package.json, so read it from node_modules next to this file.
const packageDir = (name) => new URL(`./node_modules/@cloud-copilot/${name}/`, import.meta.url)
const versionOf = (name) => JSON.parse(readFileSync(new URL('package.json', packageDir(name)), 'utf8')).version
const SIMULATE_DIR = packageDir('iam-simulate')
const SIMULATE_VERSION = versionOf('iam-simulate')
const DATA_VERSION = versionOf('iam-data')

// The direct route imports internal modules that are not part of the package's public exports.
// It was checked (against AWS semantics for kms:EncryptionContext:<key>) only on this version, so any
// other version must be re-verified before the route is trusted again.
const DIRECT_ROUTE_VERIFIED_VERSION = '0.1.173'

// runSimulation drops context keys whose template is `kms:EncryptionContext:${EncryptionContextKey}`
// (its variable-key match only understands `prefix/suffix` templates). The core engine evaluates them
// correctly, so the direct route re-adds just these keys and calls authorize() itself.
const ENCRYPTION_CONTEXT_KEY = /^kms:encryptioncontext:.+/i

const DEFAULT_RCP = {
  arn: 'arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] }
}

let internals = null
async function loadInternals() {
  if (internals) return internals
  if (SIMULATE_VERSION !== DIRECT_ROUTE_VERIFIED_VERSION) {
    throw new Error(
      `direct mode is verified only for @cloud-copilot/iam-simulate ${DIRECT_ROUTE_VERIFIED_VERSION}, ` +
        `found ${SIMULATE_VERSION}: re-verify the internal authorize() route before using it`
    )
  }
  const load = (p) => import(new URL(`dist/esm/${p}`, SIMULATE_DIR).href)
  const [core, engine, request, ctx, constraints, strings] = await Promise.all([
    load('core_engine/CoreSimulatorEngine.js'),
    load('simulation_engine/simulationEngine.js'),
    load('request/request.js'),
    load('requestContext.js'),
    load('context_keys/discoveryContextKeyConstraints.js'),
    load('util/resourceStrings.js')
  ])
  internals = {
    authorize: core.authorize,
    normalizeSimulationParameters: engine.normalizeSimulationParameters,
    AwsRequestImpl: request.AwsRequestImpl,
    RequestContextImpl: ctx.RequestContextImpl,
    DiscoveryContextKeyConstraints: constraints.DiscoveryContextKeyConstraints,
    expandShortArn: strings.expandShortArn
  }
  return internals
}

function reasonsFor(result, analysis) {
  if (!analysis) return []
  return result === 'Allowed' ? getGrantReasons(analysis) : getDenialReasons(analysis)
}

function shapeResult(id, r) {
  if (r.resultType === 'error') return { id, result: 'Error', resultType: 'error', errors: r.errors }
  const parts = r.resultType === 'single' ? [r.result] : r.results ?? []
  const ignored = [...new Set(parts.flatMap((p) => p.ignoredContextKeys ?? []))].sort()
  // For a wildcard resource the deciding part is the first one with the overall result.
  const deciding = parts.find((p) => p.analysis?.result === r.overallResult) ?? parts[0]
  return {
    id,
    result: r.overallResult,
    resultType: r.resultType,
    resourceType: deciding?.resourceType ?? null,
    ignoredContextKeys: ignored,
    reasons: reasonsFor(r.overallResult, deciding?.analysis)
  }
}

// Same single-resource path as runSimulation, but with kms:EncryptionContext:<key> values kept.
async function runDirect(id, sim, options) {
  const base = await runSimulation(sim, options)
  if (base.resultType === 'error') return shapeResult(id, base)
  if (base.resultType !== 'single') {
    return { id, result: 'Error', resultType: 'error', errors: { message: 'direct.mode.needs.single.resource' } }
  }
  const ignored = base.result.ignoredContextKeys ?? []
  if (!ignored.some((k) => ENCRYPTION_CONTEXT_KEY.test(k))) {
    return { ...shapeResult(id, base), route: 'direct' }
  }
  const I = await loadInternals()
  const { validContextValues } = await I.normalizeSimulationParameters(sim, undefined)
  const stillIgnored = []
  for (const key of ignored) {
    if (ENCRYPTION_CONTEXT_KEY.test(key)) {
      // Encryption context values are single strings; the key suffix is case-sensitive in AWS.
      const suffix = key.slice('kms:EncryptionContext:'.length)
      const value = sim.request.contextVariables[key]
      validContextValues[`kms:EncryptionContext:${suffix}`] = Array.isArray(value) ? value[0] : value
    } else {
      stillIgnored.push(key)
    }
  }
  const [service, action] = sim.request.action.split(':')
  const wildcardOnly = await isWildcardOnlyAction(service, action)
  const named = (list) => (list ?? []).map(({ name, policy }) => loadPolicy(policy, { name }))
  const orgLevels = (levels, withDefault) =>
    (levels ?? []).map((level) => ({
      orgIdentifier: level.orgIdentifier,
      policies: [
        ...(withDefault ? [loadPolicy(DEFAULT_RCP.policy, { name: DEFAULT_RCP.arn })] : []),
        ...named(level.policies)
      ]
    }))
  const analysis = I.authorize({
    request: new I.AwsRequestImpl(
      sim.request.principal,
      { resource: I.expandShortArn(sim.request.resource.resource), accountId: sim.request.resource.accountId },
      sim.request.action,
      new I.RequestContextImpl(validContextValues),
      wildcardOnly
    ),
    sessionPolicy: sim.sessionPolicy ? loadPolicy(sim.sessionPolicy, { name: 'SessionPolicy' }) : undefined,
    identityPolicies: named(sim.identityPolicies),
    serviceControlPolicies: orgLevels(sim.serviceControlPolicies, false),
    resourceControlPolicies: orgLevels(sim.resourceControlPolicies, true),
    resourcePolicy: sim.resourcePolicy ? loadPolicy(sim.resourcePolicy, { name: sim.resourcePolicy.name }) : undefined,
    permissionBoundaries: sim.permissionBoundaryPolicies ? named(sim.permissionBoundaryPolicies) : undefined,
    vpcEndpointPolicies: sim.vpcEndpointPolicies ? named(sim.vpcEndpointPolicies) : undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new I.DiscoveryContextKeyConstraints([])
    },
    serviceSettings: { s3: { blockPublicAccess: sim.additionalSettings?.s3?.blockPublicAccess } }
  })
  return {
    id,
    result: analysis.result,
    resultType: 'single',
    route: 'direct',
    resourceType: base.result.resourceType ?? null,
    ignoredContextKeys: stillIgnored.sort(),
    reasons: reasonsFor(analysis.result, analysis)
  }
}

async function handle(line) {
  let msg
  try {
    msg = JSON.parse(line)
  } catch (e) {
    return { id: null, result: 'Error', resultType: 'error', errors: { message: 'bad.json', detail: String(e) } }
  }
  const { id = null, mode = 'simulate', simulation, options = {} } = msg
  try {
    if (mode === 'version') {
      return { id, result: 'Version', iamSimulate: SIMULATE_VERSION, iamData: DATA_VERSION }
    }
    if (!simulation || typeof simulation !== 'object') {
      return { id, result: 'Error', resultType: 'error', errors: { message: 'missing.simulation' } }
    }
    if (mode === 'simulate') return shapeResult(id, await runSimulation(simulation, options))
    if (mode === 'direct') return await runDirect(id, simulation, options)
    return { id, result: 'Error', resultType: 'error', errors: { message: 'unknown.mode', mode } }
  } catch (e) {
    return { id, result: 'Error', resultType: 'error', errors: { message: 'exception', detail: String(e?.stack ?? e) } }
  }
}

const rl = readline.createInterface({ input: process.stdin, terminal: false })
for await (const line of rl) {
  if (!line.trim()) continue
  process.stdout.write(JSON.stringify(await handle(line)) + '\n')
}
