// Who the request is for: the user id from a configured request header (set by an authenticating
// filter such as jwt_authn, after the client's own copy was stripped) or from a property (e.g.
// dynamic metadata written by jwt_authn). One host call; the id is copied into the stream's
// buffer because the host's copy lives only for this callback.
import { getHeader, getProperty, returned } from '../abi/hostcalls';
import { HeaderMapType, WasmResult } from '../abi/types';
import { copyShort, hashShort } from '../lib/bytes';
import { KIND_RESERVATION, UserKeys } from '../plan/keys';
import { HotSettings } from './state';
import { Stream } from './stream';

export const enum IdentityResult {
  Found = 0,
  Missing = 1,
  Invalid = 2,
}

export function readIdentity(h: HotSettings, keys: UserKeys, s: Stream): IdentityResult {
  const r =
    h.identityHeaderLen > 0
      ? getHeader(HeaderMapType.RequestHeaders, h.identityHeaderPtr, h.identityHeaderLen)
      : getProperty(h.identityPropertyPtr, h.identityPropertyLen);
  if (r != WasmResult.Ok || returned.len == 0) return IdentityResult.Missing;
  if (returned.len > h.maxUserIdBytes) return IdentityResult.Invalid;
  if (s.keysId != keys.id) {
    // A new pooled stream, or a reconfiguration changed the prefix: (re)write the key's head.
    s.keyHead = keys.writeHead(s.key, KIND_RESERVATION);
    s.user = s.key + s.keyHead;
    s.keysId = keys.id;
  }
  copyShort(s.user, returned.ptr, returned.len);
  s.userLen = returned.len;
  s.userHash = hashShort(s.user, s.userLen);
  return IdentityResult.Found;
}
