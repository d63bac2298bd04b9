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

}  // namespace boai::service

#endif  // BOAI_SERVICES_STATUS_H_
