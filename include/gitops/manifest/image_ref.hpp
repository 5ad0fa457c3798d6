#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gitops::manifest {

// A container image reference split the way Flux's setters use it: name (registry/repository, may
// contain a registry port), tag and optional digest.
struct ImageRef {
  std::string name;                  // e.g. "localhost:5000/team/app"; may be empty when unknown
  std::string tag;                   // e.g. "1.2.3"
  std::optional<std::string> digest; // e.g. "sha256:<64 hex>"

  // "name:tag[@digest]"; just "tag[@digest]" when the name is empty.
  [[nodiscard]] std::string str() const;
};

// Parses "NAME:TAG[@DIGEST]" (a registry port is not a tag). Throws ManifestError naming `text`
// when the name, tag or digest is not valid OCI syntax or the tag is missing.
[[nodiscard]] ImageRef parse_image_ref(std::string_view text);

// The image reference held by the value of a `:tag` marker, when that value is a whole reference
// rather than a tag: the part before any `@digest` holds a '/' or a ':' (which a tag cannot) and
// reads as NAME[:TAG][@DIGEST] with a valid name (the tag may be absent only when a digest is
// there). std::nullopt for a bare tag or `tag@digest` (what Flux's tag setter writes) and for text
// that is neither. The seed README marks whole references this way; see rewrite().
[[nodiscard]] std::optional<ImageRef> whole_reference_in_tag_value(std::string_view value);

// True when `tag` matches the OCI tag grammar [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
[[nodiscard]] bool is_valid_tag(std::string_view tag);

// True when `name` is a valid image name: an optional registry host[:port] (a first component with
// a '.', a ':' or equal to "localhost") followed by lowercase path components joined by '/', each
// made of [a-z0-9]+ separated by '.', '_', '__' or runs of '-'; at most 255 characters.
[[nodiscard]] bool is_valid_name(std::string_view name);

// True when `digest` is `algorithm:encoded` per the OCI image spec; sha256 needs 64 and sha512 128
// lowercase hex digits.
[[nodiscard]] bool is_valid_digest(std::string_view digest);

// Explains why `name` is not a valid image name, or returns nullopt when it is valid.
[[nodiscard]] std::optional<std::string> name_problem(std::string_view name);

} // namespace gitops::manifest
