// fhir::Store: where a FHIR service keeps every version of every resource.
// Owned by the FHIR service; implemented in storage/ (SQLite now, PostgreSQL later).
// The store knows nothing of FHIR semantics beyond type/id/version: the service builds the
// resource JSON (with meta.versionId/lastUpdated already set) and the store persists it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace healthd::fhir {

// One stored version of a resource.
struct StoredVersion {
  std::string type;
  std::string id;
  int64_t version = 0;          // 1, 2, 3 ... per resource
  int64_t seq = 0;              // store-wide, strictly increasing in commit order
  int64_t last_updated_us = 0;  // microseconds since the Unix epoch, UTC
  enum class Kind { Create, Update, Delete } kind = Kind::Create;  // how this version was made
  std::string json;             // resource body (empty for a Delete version)

  bool deleted() const { return kind == Kind::Delete; }
};

// One search index value of the version a WriteOp makes current (see search_index in storage/).
struct IndexRow {
  enum class Kind : uint8_t { String, Token, Reference, Date, Number, Quantity, Uri, Composite };
  std::string param;  // SearchParameter code ("name", "code", "subject", ...)
  Kind kind = Kind::Token;
  // String: normalized text; Token: code; Reference: key ("Patient/x" or an absolute URL); Uri: the uri.
  std::string text;
  // Token and Quantity: system ("" when none); String: the original text (for :exact).
  std::string system;
  std::string unit;  // Quantity: code, or unit when there is no code
  // Date: [low_us, high_us) in microseconds since the epoch (open ends INT64_MIN/MAX).
  int64_t low_us = 0, high_us = 0;
  // Number and Quantity: [low, high] (low == high for a plain value; +-inf for open Range ends).
  double low = 0, high = 0;
  // Composite (two components, from one element): text/system hold the first (a token's code and
  // system, or a reference key); `second` says what the second is: Token (unit = code, system2),
  // String (unit = normalized text), Quantity or Number (low/high, unit, system2), Date (low_us/high_us).
  Kind second = Kind::Token;
  std::string system2;
};

struct SearchQuery;

// One change inside a commit.
struct WriteOp {
  enum class Kind {
    Create,  // new version of a resource (history method POST)
    Update,  // new version of a resource (history method PUT)
    Delete,  // a deleted-marker version (history method DELETE), json empty
    Purge,   // remove every version of type/id (hard delete); version is ignored
    // Replace the search index of the current version, which must be `version`; no new version
    // (json unused). $reindex and stores written before search existed.
    Reindex,
    // Replace the current version's body and index in place (same version, same lastUpdated):
    // meta changes that make no new version ($meta-add, $meta-delete).
    Amend,
    // Remove every version older than `version`, which must be the current one ($purge-history).
    PurgeHistory,
    // Set the service state value named `id` to `json` (type and version unused): state the
    // service keeps with its data, written in the same transaction as the other ops.
    PutState,
  };
  Kind kind = Kind::Create;
  std::string type;
  std::string id;
  // The version this op writes. The store checks, inside the transaction, that the
  // resource's newest stored version is exactly version - 1 (0 = no version at all).
  int64_t version = 1;
  int64_t last_updated_us = 0;
  std::string json;
  // false: after writing this version, remove the resource's older versions in the same
  // transaction (the no-version policy keeps only the current version).
  bool keep_history = true;
  // Create/Update: the search index rows of this version; they replace the resource's previous
  // rows in the same transaction. Delete and Purge remove the resource's rows.
  std::vector<IndexRow> index;
  // Create only (conditional create): refused with Status::Exists when a current resource
  // matches this query. Checked inside the write transaction, after the ops committed before it
  // in the same batch, so concurrent identical conditional creates make exactly one resource.
  std::shared_ptr<const SearchQuery> unless_match;
};

struct CommitResult {
  // Invalid: the service refused an op before it reached the store (message says why; a 400).
  enum class Status { Ok, Conflict, Exists, Error, Invalid };
  Status status = Status::Ok;
  std::vector<std::string> existing_ids;  // Exists: the matching resources (at most 2)
  int failed_op = -1;      // index of the op whose version check failed (Conflict)
  int64_t current_version = 0;  // that resource's newest stored version (Conflict)
  std::string message;     // human-readable reason (Conflict/Error)
  std::vector<int64_t> seqs;  // seq assigned to each op (Ok)

  bool ok() const { return status == Status::Ok; }
};

struct HistoryQuery {
  std::string type;  // empty: system-level history (all types)
  std::string id;    // empty: type-level history (requires type) or system-level
  std::optional<int64_t> since_us;  // only versions with last_updated >= since
  // _at: only versions that were current at some moment in [at_start, at_end)
  std::optional<int64_t> at_start_us;
  std::optional<int64_t> at_end_us;
  int64_t before_seq = INT64_MAX;  // keyset paging: only versions with seq < before_seq
  int count = 10;                  // page size
  bool with_total = false;         // also count all matching versions (ignores before_seq)
};

struct HistoryPage {
  std::vector<StoredVersion> entries;  // newest first (seq descending)
  bool has_more = false;               // more entries exist after the last one
  std::optional<int64_t> total;        // when with_total
};

// ---- search ----

// A bound on an index value's range: the value's low or high compared with a number.
// For _lastUpdated the range is [last_updated_us, last_updated_us + 1).
struct SearchBound {
  enum class Column : uint8_t { Low, High } column = Column::Low;
  enum class Op : uint8_t { Lt, Le, Gt, Ge } op = Op::Lt;
  bool is_int = true;  // int64 (dates) or double (numbers, quantities)
  int64_t i = 0;
  double d = 0;
};

// One value of a search parameter, as a predicate on one index value.
struct SearchPredicate {
  enum class Kind : uint8_t {
    Text,        // value = text (reference key, uri, _id)
    Below,       // uri :below: value starts with text
    Above,       // uri :above: text starts with value
    TextSuffix,  // value ends with "/" + text (a bare-id reference whose target types are unknown)
    Prefix,      // string: normalized value starts with text
    Contains,    // string :contains: normalized value contains text
    Suffix,      // string (_filter ew): normalized value ends with text
    Exact,       // string :exact: the original text equals text
    Token,       // system = system (when has_system; "" = no system) and code = text (when has_code)
    Range,       // any_of (OR of AND-ed bounds), negated when negate; plus system/unit when set
    CodeIn,      // token: system = system (when has_system) and code is one of codes (:in, :below, ...)
    Composite,   // parts[i] on component i of one composite value (Token/Text, then Token/Prefix/Range)
  };
  Kind kind = Kind::Text;
  std::string value;
  std::string system;
  bool has_system = false, has_code = true;
  std::string unit;  // Range on quantities: when non-empty, unit = unit
  std::vector<std::string> codes;  // CodeIn
  std::vector<SearchPredicate> parts;  // Composite
  std::vector<std::vector<SearchBound>> any_of;
  bool negate = false;
};

// One search parameter: matches when any value matches (OR). `_id` and `_lastUpdated` are answered
// from the resources themselves; every other parameter from the index of its kind.
struct SearchClause;

// Resources of one type on which every clause matches.
struct SearchFilter {
  std::string type;
  std::vector<SearchClause> clauses;
};

struct SearchClause {
  std::string param;
  // More parameters whose values count as this one's (a compartment: subject or performer).
  std::vector<std::string> also_params;
  IndexRow::Kind kind = IndexRow::Kind::Token;  // which index holds the parameter's values
  std::vector<SearchPredicate> any_of;
  std::optional<bool> missing;  // :missing=true/false (any_of is then ignored)
  bool negate = false;          // :not: no value of the parameter matches any_of
  // A chain (param is a reference): the reference points at a resource matching one of these
  // filters (one per target type), instead of any_of.
  std::vector<SearchFilter> chain;
  // _has (param is a reference parameter of has->type): some resource matching `has` refers to
  // the resource through param, instead of any_of.
  std::shared_ptr<SearchFilter> has;
  // _filter's and/or/not: the resource matches one of these filters (each on the searched type
  // itself, its clauses AND-ed), instead of param and any_of; with negate, it matches none.
  std::vector<SearchFilter> groups;
};

// One _sort key: lowest value first (or highest first when descending), resources without a
// value last, ties in creation order.
struct SearchSort {
  std::string param;  // "_id", "_lastUpdated" or a parameter of the query's type
  IndexRow::Kind kind = IndexRow::Kind::Token;
  bool descending = false;
  std::vector<std::string> also_params;  // more parameters whose values count as param's
};

// A sort key's value at a page boundary (keyset paging of sorted searches).
struct SortKeyValue {
  enum class Kind : uint8_t { Null, Int, Real, Text } kind = Kind::Null;
  int64_t i = 0;
  double d = 0;
  std::string t;
};

struct SearchQuery {
  std::string type;
  // System search (type empty): the types searched, each with its own clauses; all when empty.
  std::vector<SearchFilter> types;
  std::vector<SearchClause> clauses;  // all must match (AND)
  int count = 10;
  int64_t after = 0;   // keyset paging: only resources after this key (SearchPage::next)
  bool with_total = false;
  // Sorted: when after > 0, only resources after (after_keys..., after) in the sort order
  // (SearchPage::next_keys and next of the previous page), so pages neither repeat nor skip a
  // resource while others are written.
  std::vector<SearchSort> sort;
  std::vector<SortKeyValue> after_keys;
  // Backward (a previous link): the page of resources just BEFORE (after_keys..., after) instead.
  bool backward = false;
  int64_t offset = 0;  // skip this many first (an explicit _offset)
  // Snapshot paging (> 0: a later page of a search whose first page saw the store at this seq):
  // resources created after it are left out, so the pages list what the first one's query
  // matched. Resources changed since are matched on their current version; deleted ones drop out.
  int64_t snapshot_seq = 0;
};

struct SearchPage {
  std::vector<StoredVersion> entries;  // current, non-deleted versions in creation order
  bool has_more = false;
  int64_t next = 0;  // when has_more: the `after` of the next page
  std::vector<SortKeyValue> next_keys;  // sorted, when has_more: the `after_keys` of the next page
  // When has_previous (resources exist before the first entry): the backward cursor of the page
  // before, at the first entry. Set on pages read from a cursor (the first page has none before).
  bool has_previous = false;
  int64_t previous = 0;
  std::vector<SortKeyValue> previous_keys;
  std::optional<int64_t> total;  // when with_total (ignores after)
  // The seq the page was read at: query.snapshot_seq, or (first page) the newest committed seq.
  int64_t snapshot_seq = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies all ops atomically and durably (an acknowledged commit survives kill -9).
  // Concurrent callers are group-committed into one database transaction; each caller's ops
  // still succeed or fail together. Blocks until the outcome is known. Thread-safe.
  virtual CommitResult commit(std::vector<WriteOp> ops) = 0;

  // The newest version of type/id (which may be a Delete version), or nullopt.
  virtual std::optional<StoredVersion> current(std::string_view type, std::string_view id) = 0;
  // A specific version, or nullopt.
  virtual std::optional<StoredVersion> version(std::string_view type, std::string_view id, int64_t version) = 0;
  virtual HistoryPage history(const HistoryQuery& query) = 0;
  // Current, non-deleted resources of query.type matching every clause. Throws
  // std::invalid_argument for a malformed query (no type).
  virtual SearchPage search(const SearchQuery& query) = 0;

  // A service state value written by a PutState op, or nullopt when none was.
  virtual std::optional<std::string> state(std::string_view key) = 0;

  // Finishes queued commits and closes the database. Further calls fail.
  virtual void close() = 0;
};

}  // namespace healthd::fhir
