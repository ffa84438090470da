// The layers of lk-cluster, checked by `npm run lint` (depcruise, after biome) on every CI run.
// Paths are relative to the directory depcruise runs in (the project root); type-only imports count too.
// - no-circular: an import cycle in src/, server/, cli/ or commands/ makes load order and module state fragile.
// - src-is-a-library: src/ is shared by the CLI, the node and the browser, so it must not reach up into server/,
//   commands/ or cli/, nor load the CLI framework (@oclif) or the media stack (mediasoup, mediasoup-client).
//   The one exception is src/sdp/, which speaks in mediasoup's parameter types: it may import them type-only
//   (erased at compile time, so nothing of mediasoup loads), never a value.
// - commands-not-server: the CLI reaches nodes through Redis (src/routing) and HTTP (src/node-client); importing
//   server/ would pull the node's media stack into every CLI command.
// - node-not-supervisor: a node is a child of the supervisor and knows it only through src/node-contract.
// - client-browser-safe: client/ and the src/signal/ and src/dashboard/ it shares are bundled for the browser;
//   they may use only those and mediasoup-client, so no Node module or server code slips into the bundle.
// - bots-not-node: loadtest/ holds the load-test bots, run in processes of their own; they are clients of a node
//   (our signalling, WebRTC), so they never import the node, the CLI or the media stack.
// - library-not-bots: src/ and commands/ start the bots by path (src/loadtest/bot-processes.ts), never import them,
//   so the CLI's bundles never load the bots' DTLS and crypto.
// - not-to-unresolvable: an import that does not resolve to a file escapes every rule above.

/** npm packages src/ may not load: resolved (into a node_modules/, maybe behind a symlink) or not. */
const notInLibrary = [
  '(^|/)node_modules/(@oclif/|mediasoup(-client)?/)',
  '^(@oclif/|mediasoup(-client)?(/|$))',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles make load order and module state fragile; break the cycle with an interface.',
      severity: 'error',
      from: { path: '^(src|server|cli|commands|loadtest)/' },
      to: { circular: true },
    },
    {
      name: 'src-is-a-library',
      comment: 'src/ is shared code: no server/, commands/, cli/, @oclif or mediasoup.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/sdp/' },
      to: { path: ['^(server|commands|cli)/', ...notInLibrary] },
    },
    {
      name: 'sdp-is-a-library',
      comment: 'src/sdp/ is shared code too: no server/, commands/, cli/ or @oclif.',
      severity: 'error',
      from: { path: '^src/sdp/' },
      to: { path: ['^(server|commands|cli)/', '(^|/)node_modules/@oclif/', '^@oclif/'] },
    },
    {
      name: 'sdp-types-only',
      comment: 'src/sdp/ speaks in mediasoup types: import them type-only, never a mediasoup value.',
      severity: 'error',
      from: { path: '^src/sdp/' },
      to: { path: notInLibrary, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'commands-not-server',
      comment: 'CLI commands reach nodes via src/routing and src/node-client, never by importing the node.',
      severity: 'error',
      from: { path: '^commands/' },
      to: { path: '^server/' },
    },
    {
      name: 'node-not-supervisor',
      comment: 'The node knows the supervisor only through src/node-contract.',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^src/supervisor/' },
    },
    {
      name: 'client-browser-safe',
      comment: 'The browser bundle may use only client/, src/signal/, src/dashboard/ and mediasoup-client.',
      severity: 'error',
      from: { path: '^(client|src/signal|src/dashboard)/' },
      to: {
        pathNot: [
          '^client/',
          '^src/signal/',
          '^src/dashboard/',
          '(^|/)node_modules/mediasoup-client/',
          '^mediasoup-client(/|$)',
        ],
      },
    },
    {
      name: 'bots-not-node',
      comment: 'The load-test bots are clients of a node: no server/, commands/, cli/, @oclif or mediasoup.',
      severity: 'error',
      from: { path: '^loadtest/' },
      to: { path: ['^(server|commands|cli)/', ...notInLibrary] },
    },
    {
      name: 'library-not-bots',
      comment:
        'src/ and commands/ start the bots as processes (src/loadtest/bot-processes.ts), never import them.',
      severity: 'error',
      from: { path: '^(src|commands)/' },
      to: { path: '^loadtest/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import depcruise cannot resolve would escape every other rule.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: '(^|/)dist/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
