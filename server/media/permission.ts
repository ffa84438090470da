import type { TokenClaims } from '../../src/auth/token.js';
import type { ParticipantPermission } from './participant.js';

// A grant's publish and subscribe flags default to allowed when left out, as LiveKit's do.
function allowed(flag: boolean | undefined): boolean {
  return flag !== false;
}

/** What a participant may do, read from its token's video grant. */
export function permissionOf(claims: TokenClaims): ParticipantPermission {
  const grant = claims.video;
  return {
    canPublish: allowed(grant.canPublish),
    canSubscribe: allowed(grant.canSubscribe),
    canPublishData: allowed(grant.canPublishData),
    canUpdateMetadata: grant.canUpdateOwnMetadata === true,
    hidden: grant.hidden === true,
  };
}
