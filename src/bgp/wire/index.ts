/**
 * The BGP-4 wire codec: public surface. Bytes of one TCP stream go through
 * `MessageSplitter`, each frame through `decodeMessage`; `encodeMessage` and
 * the update builder produce bytes. Pure: no I/O, no clocks.
 * See each module's header for its RFC sections and what it does not support.
 */
export * from './types.js';
export { bgpError, strongestAction, strongestError } from './errors.js';
export { checkHeader, frame, HEADER_LEN, MAX_MESSAGE_LEN, MESSAGE_LENGTH_BOUNDS } from './header.js';
export { MessageSplitter, type SplitItem } from './stream-splitter.js';
export { decodeMessage, encodeMessage, type DecodedMessage } from './message.js';
export { decodeOpen, encodeOpen, BGP_VERSION, CapabilityCode, OptionalParameter, type OpenDecodeResult } from './open.js';
export { buildOpen, checkOpen, DEFAULT_FAMILIES, type AddressFamily, type LocalSessionConfig, type Negotiated, type OpenCheckResult } from './open-checks.js';
export { decodeUpdate, encodeUpdate, encodeAttributes, encodeUpdateParts, type UpdateDecodeResult, type UpdateDecodeContext } from './update.js';
export { buildAnnouncements, buildWithdrawals, endOfRib, endOfRibFamily, type AnnounceInput } from './update-builder.js';
export { decodeNotification, encodeNotification, ceaseNotification, shutdownCommunication, shutdownCommunicationData, SHUTDOWN_COMMUNICATION_MAX } from './notification.js';
export { decodeRouteRefresh, encodeRouteRefresh, encodeKeepalive, KEEPALIVE } from './route-refresh.js';
export { ATTRIBUTE_TABLE, ATTRIBUTES_BY_CODE, type AttributeDescriptor } from './attributes.js';
export { AS_TRANS, asPathLength, mergeAs4Path } from './as-path.js';
