#include "storage/sqlite_search_sql.h"

#include <algorithm>
#include <stdexcept>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "storage/sqlite_history_sql.h"
#include "storage/sqlite_index_keys.h"

namespace healthd::storage {

namespace {

using fhir::SearchBound;
using fhir::SearchClause;
using fhir::SearchPredicate;

SqlArg text_arg(std::string t) {
  SqlArg a;
  a.kind = SqlArg::Kind::Text;
  a.t = std::move(t);
  return a;
}

SqlArg int_arg(int64_t i) {
  SqlArg a;
  a.kind = SqlArg::Kind::Int;
  a.i = i;
  return a;
}

SqlArg bound_arg(const SearchBound& b) {
  if (b.is_int) return int_arg(b.i);
  SqlArg a;
  a.kind = SqlArg::Kind::Real;
  a.d = b.d;
  return a;
}

const char* op_sql(SearchBound::Op op) {
  switch (op) {
    case SearchBound::Op::Lt: return " < ?";
    case SearchBound::Op::Le: return " <= ?";
    case SearchBound::Op::Gt: return " > ?";
    case SearchBound::Op::Ge: return " >= ?";
  }
  return " = ?";
}

// (b1 AND b2) OR (b3) ..., over the given low/high expressions.
std::string ranges_sql(const SearchPredicate& p, const std::string& low, const std::string& high,
                       std::vector<SqlArg>& args) {
  std::string out;
  for (const auto& conj : p.any_of) {
    std::string c;
    for (const SearchBound& b : conj) {
      if (!c.empty()) c += " AND ";
      c += (b.column == SearchBound::Column::Low ? low : high) + op_sql(b.op);
      args.push_back(bound_arg(b));
    }
    if (c.empty()) c = "1";
    out += (out.empty() ? "(" : " OR (") + c + ")";
  }
  if (out.empty()) out = "0";
  return p.negate ? "NOT (" + out + ")" : "(" + out + ")";
}

// "a%b" -> "a\%b" for LIKE ... ESCAPE '\'.
std::string like_escape(std::string_view text) {
  std::string out;
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

const char* table_name(fhir::IndexRow::Kind k) {
  using K = fhir::IndexRow::Kind;
  switch (k) {
    case K::String: return "ix_string";
    case K::Token: return "ix_token";
    case K::Reference:
    case K::Uri: return "ix_ref";
    case K::Date: return "ix_date";
    case K::Number:
    case K::Quantity: return "ix_quantity";
    case K::Composite: return "ix_composite";
  }
  return "ix_token";
}

// One ix_composite row x: parts[0] on (c1, s1), parts[1] on (c2, s2) or (low, high); three parts
// (a token and two numbers, indexed as points): parts[1] on low, parts[2] on high.
std::string composite_sql(const SearchPredicate& p, std::vector<SqlArg>& args) {
  if (p.parts.size() != 2 && p.parts.size() != 3) return "0";
  std::string c;
  auto add = [&](const std::string& cond) { c += (c.empty() ? "" : " AND ") + cond; };
  const SearchPredicate& a = p.parts[0];
  if (a.kind == SearchPredicate::Kind::Text || a.has_code) {
    add("x.c1 = ?");
    args.push_back(text_arg(a.value));
  }
  if (a.kind == SearchPredicate::Kind::Token && a.has_system) {
    add("x.s1 = ?");
    args.push_back(int_arg(system_hash(a.system)));
  }
  const SearchPredicate& b = p.parts[1];
  if (p.parts.size() == 3) {
    if (b.kind != SearchPredicate::Kind::Range || p.parts[2].kind != SearchPredicate::Kind::Range) return "0";
    add(ranges_sql(b, "x.low", "x.low", args));
    add(ranges_sql(p.parts[2], "x.high", "x.high", args));
    return "(" + c + ")";
  }
  switch (b.kind) {
    case SearchPredicate::Kind::Token:
      if (b.has_code) {
        add("x.c2 = ?");
        args.push_back(text_arg(b.value));
      }
      if (b.has_system) {
        add("x.s2 = ?");
        args.push_back(int_arg(system_hash(b.system)));
      }
      break;
    case SearchPredicate::Kind::Prefix:
      add("x.c2 >= ? AND x.c2 < ?");
      args.push_back(text_arg(b.value));
      args.push_back(text_arg(b.value + "\xF4\x8F\xBF\xBF"));
      break;
    case SearchPredicate::Kind::Range:
      add(ranges_sql(b, "x.low", "x.high", args));
      if (b.has_system) {
        add("x.s2 = ?");
        args.push_back(int_arg(system_hash(b.system)));
      }
      if (!b.unit.empty()) {
        add("x.c2 = ?");
        args.push_back(text_arg(b.unit));
      }
      break;
    default: return "0";
  }
  return c.empty() ? "1" : "(" + c + ")";
}

// The condition on one row x of the clause's index table.
std::string predicate_sql(const SearchPredicate& p, std::vector<SqlArg>& args) {
  switch (p.kind) {
    case SearchPredicate::Kind::Text:
      args.push_back(text_arg(p.value));
      return "x.value = ?";
    case SearchPredicate::Kind::Below:
      args.push_back(text_arg(p.value));
      args.push_back(text_arg(p.value + "\xF4\x8F\xBF\xBF"));
      return "(x.value >= ? AND x.value < ?)";
    case SearchPredicate::Kind::Above: {
      // Every prefix of the value that ends at a '/' (and the value itself).
      std::string in;
      for (size_t i = 1; i <= p.value.size(); ++i)
        if (i == p.value.size() || p.value[i] == '/') {
          in += in.empty() ? "?" : ", ?";
          args.push_back(text_arg(p.value.substr(0, i)));
        }
      return in.empty() ? "0" : "x.value IN (" + in + ")";
    }
    case SearchPredicate::Kind::TextSuffix:
      args.push_back(text_arg("*/" + glob_escape(p.value)));
      return "x.value GLOB ?";
    case SearchPredicate::Kind::Prefix:
      // A range on the key rather than GLOB, so the primary key answers it.
      args.push_back(text_arg(p.value));
      args.push_back(text_arg(p.value + "\xF4\x8F\xBF\xBF"));
      return "(x.value >= ? AND x.value < ?)";
    case SearchPredicate::Kind::Contains:
      args.push_back(text_arg("%" + like_escape(p.value) + "%"));
      return "x.value LIKE ? ESCAPE '\\'";
    case SearchPredicate::Kind::Suffix:
      args.push_back(text_arg("%" + like_escape(p.value)));
      return "x.value LIKE ? ESCAPE '\\'";
    case SearchPredicate::Kind::Exact:
      args.push_back(text_arg(p.value));
      return "x.original = ?";
    case SearchPredicate::Kind::Token: {
      std::string c;
      if (p.has_code) {
        c = "x.code = ?";
        args.push_back(text_arg(p.value));
      }
      if (p.has_system) {
        c += c.empty() ? "x.sys = ?" : " AND x.sys = ?";
        args.push_back(int_arg(system_hash(p.system)));
      }
      return c.empty() ? "1" : "(" + c + ")";
    }
    case SearchPredicate::Kind::CodeIn: {
      // One JSON array argument, whatever the number of codes: one SQL text (cached statement),
      // and SQLite seeks the (pid, code) key once per code.
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w(buf);
      w.StartArray();
      for (const auto& code : p.codes) w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
      w.EndArray();
      args.push_back(text_arg(std::string(buf.GetString(), buf.GetSize())));
      std::string c = "x.code IN (SELECT value FROM json_each(?))";
      if (p.has_system) {
        // Values of type code carry no system (it is implied by their binding): they match on the code.
        c += " AND x.sys IN (?, 0)";
        args.push_back(int_arg(system_hash(p.system)));
      }
      return "(" + c + ")";
    }
    case SearchPredicate::Kind::Composite: return composite_sql(p, args);
    case SearchPredicate::Kind::Range: {
      std::string c = ranges_sql(p, "x.low", "x.high", args);
      if (p.has_system) {
        c += " AND x.sys = ?";
        args.push_back(int_arg(system_hash(p.system)));
      }
      if (!p.unit.empty()) {
        c += " AND x.unit = ?";
        args.push_back(text_arg(p.unit));
      }
      return "(" + c + ")";
    }
  }
  return "0";
}

struct Builder {
  const SqliteDictionary& dict;
  std::vector<SqlArg>& args;
  int depth = 0;  // nesting of chains and _has: each level gets its own resource alias
  int64_t snapshot = 0;  // SearchQuery::snapshot_seq, applied to the searched resources (depth 0)

  // "t.rid > ? AND t.rid < ? AND t.deleted = 0 AND <clauses>" for resources of one type under alias t.
  // skip: a clause answered elsewhere (the index scan that drives an equality search).
  // drive false: no clause lists candidates, each is checked per resource (the dense scan).
  std::string filter_sql(const fhir::SearchFilter& f, const std::string& t, int skip = -1, bool drive = true);
  // A single exact value of a token (system|code) or reference: its index rows are already in
  // rid order, so the page can be read straight off the index (d.pid = ... ORDER BY d.rid).
  static bool index_ordered(const SearchClause& c);
  std::string index_scan_sql(const SearchClause& c, int64_t type_id, std::string& table);
  // drive: the clause lists candidates (t.rid IN ...); otherwise it is checked per candidate.
  std::string clause_sql(const SearchClause& c, int64_t type_id, const std::string& t, bool drive);
  // "x.pid = ? AND (<values>)": the index rows x of a parameter clause (not _id, _lastUpdated, _has).
  std::string rows_sql(const SearchClause& c, int64_t type_id, bool drive);
  // A clause that can list its matches with rows_sql (and is worth a dense probe: not _id).
  static bool lists_rows(const SearchClause& c);
  static int driving_clause(const std::vector<SearchClause>& clauses);
  // "SELECT t.rid FROM resource t WHERE ..." / "SELECT '<Type>/' || t.id ..." for a nested filter.
  std::string nested_rids(const fhir::SearchFilter& f);
  std::string nested_refs(const fhir::SearchFilter& f);
};

std::string Builder::filter_sql(const fhir::SearchFilter& f, const std::string& t, int skip, bool drive) {
  auto type_id = dict.type_id(f.type);
  if (!type_id) return "0";  // a type never stored
  args.push_back(int_arg(type_lo(*type_id)));
  args.push_back(int_arg(type_hi(*type_id)));
  std::string out = t + ".rid > ? AND " + t + ".rid < ? AND " + t + ".deleted = 0";
  // One clause drives: its index lookup lists the candidate rids. Every other clause is checked
  // per candidate through the (rid, pid) indexes, so a broad clause (date >= 2010) costs one
  // lookup per candidate instead of listing every value it matches.
  const int driver = !drive ? -1 : skip >= 0 ? skip : driving_clause(f.clauses);
  for (size_t i = 0; i < f.clauses.size(); ++i)
    if (static_cast<int>(i) != skip) out += " AND " + clause_sql(f.clauses[i], *type_id, t, static_cast<int>(i) == driver);
  if (snapshot > 0 && depth == 0) {
    // Snapshot paging: unchanged since the snapshot, or not created after it (its version 1,
    // when history still holds it, is older). One key lookup, only for resources changed since.
    out += " AND (" + t + ".seq <= ? OR NOT EXISTS (SELECT 1 FROM resource_version h WHERE h.type = ? AND h.id = " +
           t + ".id AND h.version = 1 AND h.seq > ?))";
    args.push_back(int_arg(snapshot));
    args.push_back(text_arg(f.type));
    args.push_back(int_arg(snapshot));
  }
  return out;
}

bool Builder::index_ordered(const SearchClause& c) {
  if (c.negate || c.missing || c.has || !c.groups.empty() || !c.chain.empty() || !c.also_params.empty() ||
      c.any_of.size() != 1)
    return false;
  if (c.param == "_id" || c.param == "_lastUpdated") return false;
  const SearchPredicate& p = c.any_of[0];
  if (c.kind == fhir::IndexRow::Kind::Token) return p.kind == SearchPredicate::Kind::Token && p.has_system && p.has_code;
  if (c.kind == fhir::IndexRow::Kind::Reference || c.kind == fhir::IndexRow::Kind::Uri)
    return p.kind == SearchPredicate::Kind::Text;
  return false;
}

std::string Builder::index_scan_sql(const SearchClause& c, int64_t type_id, std::string& table) {
  const SearchPredicate& p = c.any_of[0];
  table = table_name(c.kind);
  args.push_back(int_arg(dict.param_id(type_id, c.param).value_or(-1)));
  if (c.kind == fhir::IndexRow::Kind::Token) {
    args.push_back(text_arg(p.value));
    args.push_back(int_arg(system_hash(p.system)));
    return "d.pid = ? AND d.code = ? AND d.sys = ?";
  }
  args.push_back(text_arg(p.value));
  return "d.pid = ? AND d.value = ?";
}

int Builder::driving_clause(const std::vector<SearchClause>& clauses) {
  // Lower is more selective, as a rule of thumb: exact references and ids, then codes with a
  // system, codes, string prefixes, ranges. Negations and :missing never drive.
  auto rank = [](const SearchClause& c) {
    if (c.negate || c.missing || c.has || !c.groups.empty()) return 100;
    if (c.param == "_id") return 0;
    if (c.param == "_lastUpdated") return 100;  // a column of resource, no index to drive from
    if (!c.chain.empty()) return 3;
    int best = 100;
    for (const auto& p : c.any_of) {
      int r = 50;
      switch (p.kind) {
        case SearchPredicate::Kind::Text: r = 1; break;
        case SearchPredicate::Kind::Token: r = p.has_system && p.has_code ? 2 : p.has_code ? 4 : 30; break;
        case SearchPredicate::Kind::CodeIn: r = p.codes.size() <= 32 ? 4 : 25; break;
        case SearchPredicate::Kind::Composite: r = 3; break;
        case SearchPredicate::Kind::Exact:
        case SearchPredicate::Kind::Prefix: r = 5; break;
        case SearchPredicate::Kind::Range: r = 20; break;
        default: r = 60; break;
      }
      best = std::max(best == 100 ? 0 : best, r);  // an OR is as broad as its broadest value
    }
    return c.any_of.empty() ? 100 : best;
  };
  int driver = -1, best = 100;
  for (size_t i = 0; i < clauses.size(); ++i)
    if (int r = rank(clauses[i]); r < best) {
      best = r;
      driver = static_cast<int>(i);
    }
  return driver;
}

std::string Builder::nested_rids(const fhir::SearchFilter& f) {
  const std::string t = "r" + std::to_string(++depth);
  std::string where = filter_sql(f, t);
  --depth;
  return "SELECT " + t + ".rid FROM resource " + t + " WHERE " + where;
}

std::string Builder::nested_refs(const fhir::SearchFilter& f) {
  const std::string t = "r" + std::to_string(++depth);
  args.push_back(text_arg(f.type + "/"));
  std::string select = "SELECT ? || " + t + ".id FROM resource " + t + " WHERE ";
  std::string where = filter_sql(f, t);
  --depth;
  return select + where;
}

std::string Builder::clause_sql(const SearchClause& c, int64_t type_id, const std::string& t, bool drive) {
  if (!c.groups.empty()) {
    // _filter's or/not: each group's clauses checked on the same resource t.
    std::string any;
    for (const auto& g : c.groups) {
      std::string all;
      for (const auto& inner : g.clauses) all += (all.empty() ? "" : " AND ") + clause_sql(inner, type_id, t, false);
      any += (any.empty() ? "(" : " OR (") + (all.empty() ? "1" : all) + ")";
    }
    return (c.negate ? "NOT (" : "(") + any + ")";
  }
  if (c.param == "_id") {
    if (c.missing) return *c.missing ? "0" : "1";
    std::string in;
    for (const auto& p : c.any_of) {
      in += in.empty() ? "?" : ", ?";
      args.push_back(text_arg(p.value));
    }
    if (in.empty()) return c.negate ? "1" : "0";
    return t + ".id " + (c.negate ? "NOT IN (" : "IN (") + in + ")";
  }
  if (c.param == "_lastUpdated") {
    if (c.missing) return *c.missing ? "0" : "1";
    std::string out;
    for (const auto& p : c.any_of)
      out += (out.empty() ? "" : " OR ") +
             ranges_sql(p, t + ".last_updated_us", "(" + t + ".last_updated_us + 1)", args);
    return out.empty() ? "0" : "(" + out + ")";
  }
  if (c.has) {
    // The other resource's reference parameter holds "<this type>/<id>".
    auto has_type = dict.type_id(c.has->type);
    if (!has_type) return "0";
    // t.id IN (the ids those references name): answered through resource_by_id.
    const std::string prefix = dict.type_name(type_id) + "/";
    args.push_back(int_arg(static_cast<int64_t>(prefix.size()) + 1));
    args.push_back(int_arg(dict.param_id(*has_type, c.param).value_or(-1)));
    args.push_back(text_arg(prefix));
    args.push_back(text_arg(prefix.substr(0, prefix.size() - 1) + "0"));  // '/' + 1
    std::string sub = "SELECT substr(x.value, ?) FROM ix_ref x WHERE x.pid = ? AND x.value >= ? AND x.value < ?"
                      " AND x.rid IN (" + nested_rids(*c.has) + ")";
    return t + ".id IN (" + sub + ")";
  }
  // Listing (drive): SELECT x.rid ... WHERE pid; checking: SELECT 1 ... WHERE x.rid = t.rid AND pid.
  std::string sub = drive ? std::string("SELECT x.rid FROM ") + table_name(c.kind) + " x WHERE "
                          : std::string("SELECT 1 FROM ") + table_name(c.kind) + " x WHERE x.rid = " + t + ".rid AND ";
  sub += rows_sql(c, type_id, drive);
  const bool positive = c.missing ? !*c.missing : !c.negate;
  if (drive) return t + (positive ? ".rid IN (" : ".rid NOT IN (") + sub + ")";
  return std::string(positive ? "EXISTS (" : "NOT EXISTS (") + sub + ")";
}

std::string Builder::rows_sql(const SearchClause& c, int64_t type_id, bool drive) {
  // A parameter never written has no rows: pid -1 matches none.
  std::string pids = "?";
  args.push_back(int_arg(dict.param_id(type_id, c.param).value_or(-1)));
  for (const auto& extra : c.also_params) {
    pids += ", ?";
    args.push_back(int_arg(dict.param_id(type_id, extra).value_or(-1)));
  }
  std::string out = c.also_params.empty() ? "x.pid = ?" : "x.pid IN (" + pids + ")";
  if (c.missing) return out;
  std::string any;
  if (!c.chain.empty()) {
    // Checking one resource's rows: "+" keeps SQLite from seeking (rid, pid, value) once per
    // chained value; it reads the resource's few rows and tests each against the list instead.
    for (const auto& f : c.chain)
      any += (any.empty() ? (drive ? "x.value IN (" : "+x.value IN (") : " UNION ALL ") + nested_refs(f);
    any += ")";
  } else {
    for (const auto& p : c.any_of) any += (any.empty() ? "" : " OR ") + predicate_sql(p, args);
  }
  if (any.empty()) any = "0";
  return out + " AND (" + any + ")";
}

bool Builder::lists_rows(const SearchClause& c) {
  return !c.negate && !c.missing && !c.has && c.param != "_id" && c.param != "_lastUpdated";
}

SqlArg key_arg(const fhir::SortKeyValue& c) {
  switch (c.kind) {
    case fhir::SortKeyValue::Kind::Int: return int_arg(c.i);
    case fhir::SortKeyValue::Kind::Real: {
      SqlArg a;
      a.kind = SqlArg::Kind::Real;
      a.d = c.d;
      return a;
    }
    default: return text_arg(c.t);
  }
}

// "k0 = ? AND k1 IS NULL ..." for the first n keys equal to the cursor's.
std::string keys_equal(const fhir::SearchQuery& q, size_t n, std::vector<SqlArg>& args) {
  std::string out;
  for (size_t j = 0; j < n; ++j) {
    const std::string k = "k" + std::to_string(j);
    if (q.after_keys[j].kind == fhir::SortKeyValue::Kind::Null) {
      out += (out.empty() ? "" : " AND ") + k + " IS NULL";
    } else {
      out += (out.empty() ? "" : " AND ") + k + " = ?";
      args.push_back(key_arg(q.after_keys[j]));
    }
  }
  return out;
}

// A sorted page: keys k0, k1, ... computed per match (a resource's lowest value of the parameter,
// highest when descending), keyset paging on (keys..., rid), and only the page's count + 1 rows
// joined to their versions (the sort never carries bodies).
std::string sorted_page_sql(const fhir::SearchQuery& q, const SqliteDictionary& dict, const std::string& where,
                            std::vector<SqlArg>& where_args) {
  std::vector<SqlArg> args;  // in text order: key expressions, WHERE, keyset, LIMIT/OFFSET
  std::string keys, order, outer_order;
  const auto type_id = dict.type_id(q.type);
  for (size_t i = 0; i < q.sort.size(); ++i) {
    const fhir::SearchSort& s = q.sort[i];
    std::string expr;
    if (s.param == "_id") {
      expr = "r.id";
    } else if (s.param == "_lastUpdated") {
      expr = "r.last_updated_us";
    } else {
      const char* agg = s.descending ? "max" : "min";
      std::string column = "x.value";
      switch (s.kind) {
        case fhir::IndexRow::Kind::Token: column = "x.code"; break;
        case fhir::IndexRow::Kind::Date:
        case fhir::IndexRow::Kind::Number:
        case fhir::IndexRow::Kind::Quantity: column = s.descending ? "x.high" : "x.low"; break;
        default: break;
      }
      std::string pids = "?";
      args.push_back(int_arg(type_id ? dict.param_id(*type_id, s.param).value_or(-1) : -1));
      for (const auto& extra : s.also_params) {
        pids += ", ?";
        args.push_back(int_arg(type_id ? dict.param_id(*type_id, extra).value_or(-1) : -1));
      }
      expr = std::string("(SELECT ") + agg + "(" + column + ") FROM " + table_name(s.kind) +
             " x WHERE x.rid = r.rid AND x.pid " + (s.also_params.empty() ? "= ?)" : "IN (" + pids + "))");
    }
    const std::string k = "k" + std::to_string(i);
    keys += ", " + expr + " AS " + k;
    // Backward pages read the order reversed (nearest the cursor first): NULLs then come first.
    const bool desc = s.descending != q.backward;
    const char* dir = desc ? (q.backward ? " DESC NULLS FIRST, " : " DESC NULLS LAST, ")
                           : (q.backward ? " ASC NULLS FIRST, " : " ASC NULLS LAST, ");
    order += k + dir;
    outer_order += "p." + k + dir;
  }
  for (auto& a : where_args) args.push_back(std::move(a));
  std::string keyset;
  if (q.after > 0 && q.after_keys.size() == q.sort.size()) {
    // (k0, k1, ..., rid) after the cursor's, each key in its direction with NULLs last:
    // k0 after c0, or k0 = c0 and k1 after c1, ..., or all equal and rid after.
    for (size_t i = 0; i < q.sort.size(); ++i) {
      const fhir::SortKeyValue& c = q.after_keys[i];
      if (c.kind == fhir::SortKeyValue::Kind::Null) continue;  // only NULLs sort after a NULL: "equal"
      const std::string k = "k" + std::to_string(i);
      std::string branch = keys_equal(q, i, args);
      branch += (branch.empty() ? "(" : " AND (") + k + (q.sort[i].descending ? " < ?" : " > ?") + " OR " + k +
                " IS NULL)";
      args.push_back(key_arg(c));
      keyset += (keyset.empty() ? "(" : " OR (") + branch + ")";
    }
    std::string last = keys_equal(q, q.sort.size(), args);
    keyset += (keyset.empty() ? "(" : " OR (") + last + (last.empty() ? "" : " AND ") + "rid > ?)";
    args.push_back(int_arg(q.after));
    if (q.backward) {
      // Before the cursor: neither after it nor the cursor's own resource (the order is total).
      keyset = "NOT coalesce((" + keyset + "), 0) AND rid <> ?";
      args.push_back(int_arg(q.after));
    }
  }
  std::string inner = "SELECT r.rid AS rid, r.seq AS seq" + keys + " FROM resource r" + where;
  std::string page = std::string("SELECT p.rid, ") + kVersionColumns;
  for (size_t i = 0; i < q.sort.size(); ++i) page += ", p.k" + std::to_string(i);
  page += " FROM (SELECT * FROM (" + inner + ")" + (keyset.empty() ? "" : " WHERE " + keyset) + " ORDER BY " +
          order + (q.backward ? "rid DESC" : "rid") + " LIMIT ? OFFSET ?) p JOIN resource_version v ON v.seq = p.seq ORDER BY " +
          outer_order + (q.backward ? "p.rid DESC" : "p.rid");
  args.push_back(int_arg(int64_t{std::max(q.count, 0)} + 1));
  args.push_back(int_arg(std::max<int64_t>(q.offset, 0)));
  where_args = std::move(args);
  return page;
}

}  // namespace

void bind_args(Statement& s, const std::vector<SqlArg>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    switch (args[i].kind) {
      case SqlArg::Kind::Int: s.bind(n, args[i].i); break;
      case SqlArg::Kind::Real: s.bind_double(n, args[i].d); break;
      case SqlArg::Kind::Text: s.bind_text(n, args[i].t); break;
    }
  }
}

std::string glob_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    if (ch == '*' || ch == '?' || ch == '[') {
      out += '[';
      out += ch;
      out += ']';
    } else {
      out += ch;
    }
  }
  return out;
}

std::optional<SearchSql> search_sql(const fhir::SearchQuery& q, const SqliteDictionary& dict) {
  std::vector<SqlArg> args;
  Builder b{dict, args};
  b.snapshot = q.snapshot_seq;
  // One type, or (system search) the OR of one filter per type, each on its own rid range.
  std::vector<fhir::SearchFilter> filters;
  if (!q.type.empty()) {
    filters.push_back({q.type, q.clauses});
  } else if (!q.types.empty()) {
    filters = q.types;
  } else {
    for (const std::string& t : dict.type_names()) filters.push_back({t, q.clauses});
  }
  // One type, unsorted, with a single exact token or reference value: the page streams off that
  // value's index rows (already in rid order), stopping at count + 1, however many match.
  if (filters.size() == 1 && q.sort.empty()) {
    const auto& clauses = filters[0].clauses;
    const int driver = Builder::driving_clause(clauses);
    const auto type_id = dict.type_id(filters[0].type);
    if (!type_id) return std::nullopt;
    if (driver >= 0 && Builder::index_ordered(clauses[driver])) {
      std::string table;
      // Two statements: the arguments must be pushed in text order.
      std::string where = " WHERE " + b.index_scan_sql(clauses[driver], *type_id, table);
      where += " AND " + b.filter_sql(filters[0], "r", driver);
      std::string from = " FROM " + table + " d JOIN resource r ON r.rid = d.rid";
      SearchSql out;
      if (clauses.size() == 1 && q.snapshot_seq <= 0) {
        // Only current, non-deleted resources have index rows: the count needs no resource row.
        std::vector<SqlArg> count_args;
        Builder c{dict, count_args};
        std::string ignored;
        out.total = "SELECT count(*) FROM " + table + " d WHERE " + c.index_scan_sql(clauses[driver], *type_id, ignored) +
                    " AND d.rid > ? AND d.rid < ?";
        count_args.push_back(int_arg(type_lo(*type_id)));
        count_args.push_back(int_arg(type_hi(*type_id)));
        out.total_args = std::move(count_args);
      } else {
        out.total = "SELECT count(*)" + from + where;
        out.total_args = args;
      }
      std::string page = std::string("SELECT r.rid, ") + kVersionColumns + from +
                         " JOIN resource_version v ON v.seq = r.seq" + where;
      if (q.after > 0) {
        page += q.backward ? " AND d.rid < ?" : " AND d.rid > ?";
        args.push_back(int_arg(q.after));
      }
      page += q.backward ? " ORDER BY d.rid DESC LIMIT ?" : " ORDER BY d.rid LIMIT ?";
      args.push_back(int_arg(int64_t{std::max(q.count, 0)} + 1));
      out.page = std::move(page);
      out.page_args = std::move(args);
      return out;
    }
  }
  std::optional<SearchSql> out_dense;
  if (filters.size() == 1 && q.sort.empty() && q.count > 0 && !q.backward) {
    const auto& clauses = filters[0].clauses;
    const int driver = Builder::driving_clause(clauses);
    if (driver >= 0 && Builder::lists_rows(clauses[driver])) {
      const int64_t type_id = *dict.type_id(filters[0].type);
      SearchSql dense;
      Builder c{dict, dense.dense_count_args};
      const SearchClause& d = clauses[driver];
      dense.dense_count = std::string("SELECT count(*) FROM (SELECT 1 FROM ") + table_name(d.kind) + " x WHERE " +
                          c.rows_sql(d, type_id, true) + " LIMIT ?)";
      dense.dense_count_args.push_back(int_arg(kDenseMatches));
      // The scan walks the driving parameter's compact (rid, pid) index, not the resource rows
      // (which carry their index-key blob); GROUP BY keeps one row per resource in rid order.
      Builder p{dict, dense.dense_page_args};
      p.snapshot = q.snapshot_seq;  // later pages of a snapshot leave out what was created since
      const int64_t from = std::max(q.after, type_lo(type_id));
      dense.dense_page_args.push_back(int_arg(from));
      dense.dense_page_args.push_back(int_arg(from + kDenseWindow));
      const std::string table = table_name(d.kind);
      const std::string rows = p.rows_sql(d, type_id, false);  // arguments in text order: rows first
      const std::string others = p.filter_sql(filters[0], "r", driver, false);
      dense.dense_page = std::string("SELECT r.rid, ") + kVersionColumns + " FROM " + table + " x INDEXED BY " + table +
                         "_by_rid JOIN resource r ON r.rid = x.rid JOIN resource_version v ON v.seq = r.seq"
                         " WHERE x.rid > ? AND x.rid <= ? AND " + rows + " AND " + others +
                         " GROUP BY x.rid ORDER BY x.rid LIMIT ?";
      dense.dense_page_args.push_back(int_arg(int64_t{q.count} + 1));
      out_dense = std::move(dense);
    }
  }

  std::string any;
  for (const auto& f : filters) {
    if (!dict.type_id(f.type)) continue;
    any += (any.empty() ? "(" : " OR (") + b.filter_sql(f, "r") + ")";
  }
  if (any.empty()) return std::nullopt;  // no type searched was ever stored
  const std::string where = " WHERE (" + any + ")";

  SearchSql out = out_dense ? std::move(*out_dense) : SearchSql{};
  out.total = "SELECT count(*) FROM resource r" + where;
  out.total_args = args;
  if (filters.size() == 1 && filters[0].clauses.size() == 1 && q.snapshot_seq <= 0) {
    // One clause over several parameters' rows (a union parameter, a compartment): count the
    // distinct resources among the rows, as the single-value path above counts rows, without
    // reading resource rows (only current, non-deleted resources have index rows).
    const SearchClause& c = filters[0].clauses[0];
    if (!c.also_params.empty() && c.chain.empty() && c.groups.empty() && Builder::lists_rows(c)) {
      const int64_t type_id = *dict.type_id(filters[0].type);
      std::vector<SqlArg> count_args;
      Builder counter{dict, count_args};
      out.total = std::string("SELECT count(DISTINCT x.rid) FROM ") + table_name(c.kind) + " x WHERE " +
                  counter.rows_sql(c, type_id, true) + " AND x.rid > ? AND x.rid < ?";
      count_args.push_back(int_arg(type_lo(type_id)));
      count_args.push_back(int_arg(type_hi(type_id)));
      out.total_args = std::move(count_args);
    }
  }
  std::string page;
  if (q.sort.empty()) {
    page = std::string("SELECT r.rid, ") + kVersionColumns + " FROM resource r JOIN resource_version v ON v.seq = r.seq" +
           where;
    if (q.after > 0) {
      page += q.backward ? " AND r.rid < ?" : " AND r.rid > ?";
      args.push_back(int_arg(q.after));
    }
    page += q.backward ? " ORDER BY r.rid DESC LIMIT ?" : " ORDER BY r.rid LIMIT ?";
    args.push_back(int_arg(int64_t{std::max(q.count, 0)} + 1));
  } else {
    page = sorted_page_sql(q, dict, where, args);
    out.sort_columns = q.sort.size();
  }
  out.page = std::move(page);
  out.page_args = std::move(args);
  return out;
}

}  // namespace healthd::storage
