import { Flags } from '@oclif/core';
import { LkcError } from '../src/errors.js';
import type { ParticipantUpdate } from '../src/node-client/room-api-client.js';

/** `k=v` -> [k, v]; `k=` deletes k, as LiveKit reads an empty value. */
function attribute(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new LkcError('BAD_INPUT', `--attribute ${text}: expected key=value (key= deletes the key)`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** What `room participants update` may change: name, metadata, attributes, permission flags. */
export const participantUpdateFlags = {
  metadata: Flags.string({ description: 'new metadata (LiveKit leaves it as it is when empty)' }),
  name: Flags.string({ description: 'new display name' }),
  attribute: Flags.string({
    description: 'an attribute as key=value (key= deletes it); repeat for more',
    multiple: true,
  }),
  'can-publish': Flags.boolean({ description: 'may publish tracks', allowNo: true }),
  'can-subscribe': Flags.boolean({ description: 'may subscribe to others’ tracks', allowNo: true }),
  'can-publish-data': Flags.boolean({ description: 'may send data messages', allowNo: true }),
  'can-update-metadata': Flags.boolean({ description: 'may update its own metadata', allowNo: true }),
  hidden: Flags.boolean({ description: 'hidden from the other participants', allowNo: true }),
};

type UpdateFlags = {
  metadata?: string;
  name?: string;
  attribute?: string[];
  'can-publish'?: boolean;
  'can-subscribe'?: boolean;
  'can-publish-data'?: boolean;
  'can-update-metadata'?: boolean;
  hidden?: boolean;
};

/** The update the flags ask for; refused when they ask for nothing. */
export function participantUpdateOf(flags: UpdateFlags): ParticipantUpdate {
  const update: ParticipantUpdate = { name: flags.name, metadata: flags.metadata };
  if (flags.attribute) update.attributes = Object.fromEntries(flags.attribute.map(attribute));
  const permission: NonNullable<ParticipantUpdate['permission']> = {};
  if (flags['can-publish'] !== undefined) permission.canPublish = flags['can-publish'];
  if (flags['can-subscribe'] !== undefined) permission.canSubscribe = flags['can-subscribe'];
  if (flags['can-publish-data'] !== undefined) permission.canPublishData = flags['can-publish-data'];
  if (flags['can-update-metadata'] !== undefined) permission.canUpdateMetadata = flags['can-update-metadata'];
  if (flags.hidden !== undefined) permission.hidden = flags.hidden;
  if (Object.keys(permission).length > 0) update.permission = permission;
  if (!update.name && !update.metadata && !update.attributes && !update.permission) {
    throw new LkcError(
      'BAD_INPUT',
      'nothing to change: give --metadata, --name, --attribute or a permission flag (--can-publish, --no-can-publish, ...)',
    );
  }
  return update;
}
