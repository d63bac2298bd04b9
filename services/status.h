// The one mapping from the core's absl::Status to gRPC status codes.
#ifndef BOAI_SERVICES_STATUS_H_
#define BOAI_SERVICES_STATUS_H_

#include <grpcpp/support/status.h>

#include <string_view>

#include "absl/status/status.h"

namespace boai::service {

// InvalidArgument -> INVALID_ARGUMENT, FailedPrecondition -> FAILED_PRECONDITION,
// AlreadyExists -> ALREADY_EXISTS, PermissionDenied -> PERMISSION_DENIED,
// Unauthenticated -> UNAUTHENTICATED, DataLoss -> DATA_LOSS, NotFound -> NOT_FOUND,
// OutOfRange -> OUT_OF_RANGE, Unavailable -> UNAVAILABLE, and so on for the rest;
// the message is kept as is (the core's messages say what to do).
grpc::Status ToGrpcStatus(const absl::Status& status);

// "INVALID_ARGUMENT", ... for logs.
std::string_view GrpcCodeName(grpc::StatusCode code);

// The most bytes of a status message ToGrpcStatus sends (and the service logs):
// longer ones are cut, saying so. gRPC sends the message in the trailers, which a
// client refuses beyond its metadata limit (8 KiB by default) with
// RESOURCE_EXHAUSTED, losing the real error.
inline constexpr size_t kMaxStatusMessage = 1024;

// A request's value as an error message or a log line may quote it: as is up to 64
// bytes, else its first 32 bytes (cut at a UTF-8 character boundary), "..." and its
// length: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...(8192 bytes). A field may carry
// megabytes; an error that echoed it whole would not reach the client.
std::string ShortValue(std::string_view value);

// `text` cut to at most `max` bytes at a UTF-8 character boundary (the whole
// text if it fits).
std::string_view Utf8Prefix(std::string_view text, size_t max);

}  // namespace boai::service

#endif  // BOAI_SERVICES_STATUS_H_
