#pragma once

namespace forge_sim {

class Router;
class Simulator;

// Adds the Azure DevOps Git REST routes (api-version 7.1) under
// `/{organization}/{project}/_apis/git/repositories/{repository}/…`: pull requests (search, create,
// get, update: title/description, auto-complete, complete, abandon), pullrequestquery, commit
// statuses, refs, pushes and items. The organization and repository select the shared repository
// `<organization>/<repository>`; the project segment is accepted as any name (spaces included) and
// is echoed in answers. Answers use Azure's shapes: `{count, value}` envelopes, camelCase enums,
// and
// `{"$id","innerException","message","typeName","typeKey","errorCode","eventId"}` errors with the
// service's TF codes. Auto-complete completes a PR once the repository's required contexts are
// green (status contexts are `name` for genre `fluxcd`/`fluxcd:*`/none, else `genre/name`).
void register_azdo_routes(Router &router, Simulator &sim);

} // namespace forge_sim
