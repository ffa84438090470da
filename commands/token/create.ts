import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { parseDurationSeconds } from '../../cli/duration.js';
import { renderDetails } from '../../cli/table.js';
import { createToken, type VideoGrant } from '../../src/auth/token.js';
import { envApiKeyPair } from '../../src/config/env.js';
import { LkcError } from '../../src/errors.js';

/** The longest --valid-for: ten years. */
const MAX_VALID_FOR_DAYS = 3650;

interface TokenAnswer {
  token: string;
  api_key: string;
  identity: string;
  room: string | null;
  grant: VideoGrant;
  /** Epoch seconds. */
  expires_at: number;
}

export default class TokenCreate extends BaseCommand<typeof TokenCreate> {
  static override description =
    'Create an access token signed with the configured API key (like `lk token create`); it goes to stdout alone';

  static override examples = [
    {
      command: '<%= config.bin %> token create --room demo --identity alice --join',
      description: 'a token to join room demo as alice (open http://NODE:7880/join?token=... in a browser)',
    },
    {
      command: '<%= config.bin %> token create --list --create --admin --room demo --valid-for 1h',
      description: 'a server token for the room API',
    },
    {
      command: '<%= config.bin %> token create --admin --valid-for 1h',
      description: 'an admin token for every room and the node admin API (/admin/*, /settings/regions)',
    },
    {
      command: 'TOKEN=$(<%= config.bin %> token create --room demo --identity bob --join)',
      description: 'in a script',
    },
  ];

  static override flags = {
    room: Flags.string({
      char: 'r',
      description:
        'room the token is for (needed by --join; --admin without it: every room and the node admin API)',
    }),
    identity: Flags.string({ char: 'i', description: 'participant identity (needed by --join)' }),
    name: Flags.string({ description: 'display name of the participant' }),
    metadata: Flags.string({ description: 'participant metadata' }),
    join: Flags.boolean({ description: 'allow joining the room (roomJoin)' }),
    admin: Flags.boolean({
      description: 'allow administering the room, or with no --room every room (roomAdmin)',
    }),
    list: Flags.boolean({ description: 'allow listing rooms (roomList)' }),
    create: Flags.boolean({ description: 'allow creating and deleting rooms (roomCreate)' }),
    'valid-for': Flags.string({
      description: 'how long the token is valid (e.g. 30m, 6h, 7d)',
      default: '6h',
    }),
    'api-key': Flags.string({
      description: 'which key of the config signs (default: $LKC_API_KEY, else the first)',
    }),
  };

  public async run(): Promise<TokenAnswer> {
    const { join, admin, list, create, room, identity } = this.flags;
    if (!join && !admin && !list && !create) {
      throw new LkcError('BAD_INPUT', 'say what the token allows: --join, --admin, --list and/or --create');
    }
    // An admin token for no particular room is what the node admin API (/admin/*) asks for.
    if (join && !room) throw new LkcError('BAD_INPUT', '--join needs --room');
    if (join && !identity) throw new LkcError('BAD_INPUT', '--join needs --identity');
    const ttlSeconds = parseDurationSeconds(this.flags['valid-for'], '--valid-for');
    if (ttlSeconds <= 0) throw new LkcError('BAD_INPUT', '--valid-for must be longer than 0s');
    // Past a few thousand years the expiry is no longer a date a JWT library can write.
    if (ttlSeconds > MAX_VALID_FOR_DAYS * 86400)
      throw new LkcError(
        'BAD_INPUT',
        `--valid-for ${this.flags['valid-for']} is too long: at most ${MAX_VALID_FOR_DAYS}d`,
      );
    const { apiKey, apiSecret } = await this.signingKey();
    const grant: VideoGrant = {
      ...(join ? { roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true } : {}),
      ...(admin ? { roomAdmin: true } : {}),
      ...(list ? { roomList: true } : {}),
      ...(create ? { roomCreate: true } : {}),
      ...(room ? { room } : {}),
    };
    const token = await createToken({
      apiKey,
      apiSecret,
      identity,
      name: this.flags.name,
      metadata: this.flags.metadata,
      grant,
      ttlSeconds,
    });
    const expiresAt = Math.floor(Date.now() / 1000) + ttlSeconds;
    if (!this.jsonEnabled()) {
      // The token alone on stdout, so that $(...) captures it; what it grants goes to stderr.
      this.logToStderr(
        renderDetails([
          ['api key', apiKey],
          ['identity', identity ?? '(none)'],
          ['room', room ?? '(any)'],
          [
            'grants',
            Object.keys(grant)
              .filter((k) => k !== 'room')
              .join(', '),
          ],
          ['expires', new Date(expiresAt * 1000).toISOString()],
        ]),
      );
      this.log(token);
    }
    return {
      token,
      api_key: apiKey,
      identity: identity ?? '',
      room: room ?? null,
      grant,
      expires_at: expiresAt,
    };
  }

  private async signingKey(): Promise<{ apiKey: string; apiSecret: string }> {
    const { apiKey: envKey, apiSecret: envSecret } = envApiKeyPair(process.env);
    if (envKey && envSecret && !this.flags['api-key']) return { apiKey: envKey, apiSecret: envSecret };
    const { config } = await this.loadConfig();
    const wanted = this.flags['api-key'] ?? envKey;
    const keys = Object.entries(config.keys);
    if (keys.length === 0) {
      throw new LkcError(
        'CONFIG_INVALID',
        'no API key to sign with: add `keys: {KEY: SECRET}` to the config, or set LKC_KEYS, or LKC_API_KEY and LKC_API_SECRET',
      );
    }
    const found = wanted ? keys.find(([key]) => key === wanted) : keys[0];
    if (!found)
      throw new LkcError(
        'BAD_INPUT',
        `API key ${wanted} is not in the config (it has ${keys.map(([k]) => k).join(', ')})`,
      );
    return { apiKey: found[0], apiSecret: found[1] };
  }
}
