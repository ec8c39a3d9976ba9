#include "storage/sqlite_search_sql.h"

#include <algorithm>
#include <stdexcept>

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
  }
  return "ix_token";
}

// The condition on one row x of the clause's index table.
std::string predicate_sql(const SearchPredicate& p, std::vector<SqlArg>& args) {
  switch (p.kind) {
    case SearchPredicate::Kind::Text:
      args.push_back(text_arg(p.value));
      return "x.value = ?";
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

  // "t.rid > ? AND t.rid < ? AND t.deleted = 0 AND <clauses>" for resources of one type under alias t.
  std::string filter_sql(const fhir::SearchFilter& f, const std::string& t);
  std::string clause_sql(const SearchClause& c, int64_t type_id, const std::string& t);
  // "SELECT t.rid FROM resource t WHERE ..." / "SELECT '<Type>/' || t.id ..." for a nested filter.
  std::string nested_rids(const fhir::SearchFilter& f);
  std::string nested_refs(const fhir::SearchFilter& f);
};

std::string Builder::filter_sql(const fhir::SearchFilter& f, const std::string& t) {
  auto type_id = dict.type_id(f.type);
  if (!type_id) return "0";  // a type never stored
  args.push_back(int_arg(type_lo(*type_id)));
  args.push_back(int_arg(type_hi(*type_id)));
  std::string out = t + ".rid > ? AND " + t + ".rid < ? AND " + t + ".deleted = 0";
  for (const SearchClause& c : f.clauses) out += " AND " + clause_sql(c, *type_id, t);
  return out;
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

std::string Builder::clause_sql(const SearchClause& c, int64_t type_id, const std::string& t) {
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
    auto type_name = dict.type_name(type_id);
    args.push_back(text_arg(type_name + "/"));
    std::string lhs = "(? || " + t + ".id)";
    args.push_back(int_arg(dict.param_id(*has_type, c.param).value_or(-1)));
    std::string sub = "SELECT x.value FROM ix_ref x WHERE x.pid = ? AND x.rid IN (" + nested_rids(*c.has) + ")";
    return lhs + " IN (" + sub + ")";
  }
  // A parameter never written has no rows: pid -1 matches none.
  std::string pids = "?";
  args.push_back(int_arg(dict.param_id(type_id, c.param).value_or(-1)));
  for (const auto& extra : c.also_params) {
    pids += ", ?";
    args.push_back(int_arg(dict.param_id(type_id, extra).value_or(-1)));
  }
  std::string sub = std::string("SELECT x.rid FROM ") + table_name(c.kind) + " x WHERE x.pid " +
                    (c.also_params.empty() ? "= ?" : "IN (" + pids + ")");
  if (c.missing) return t + (*c.missing ? ".rid NOT IN (" : ".rid IN (") + sub + ")";
  std::string any;
  if (!c.chain.empty()) {
    for (const auto& f : c.chain) any += (any.empty() ? "x.value IN (" : " UNION ALL ") + nested_refs(f);
    any += ")";
  } else {
    for (const auto& p : c.any_of) any += (any.empty() ? "" : " OR ") + predicate_sql(p, args);
  }
  if (any.empty()) any = "0";
  return t + (c.negate ? ".rid NOT IN (" : ".rid IN (") + sub + " AND (" + any + "))";
}

}  // namespace

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
  // One type, or (system search) the OR of one filter per type, each on its own rid range.
  std::vector<fhir::SearchFilter> filters;
  if (!q.type.empty()) {
    filters.push_back({q.type, q.clauses});
  } else if (!q.types.empty()) {
    filters = q.types;
  } else {
    for (const std::string& t : dict.type_names()) filters.push_back({t, q.clauses});
  }
  std::string any;
  for (const auto& f : filters) {
    if (!dict.type_id(f.type)) continue;
    any += (any.empty() ? "(" : " OR (") + b.filter_sql(f, "r") + ")";
  }
  if (any.empty()) return std::nullopt;  // no type searched was ever stored
  const std::string where = " WHERE (" + any + ")";

  SearchSql out;
  out.total = "SELECT count(*) FROM resource r" + where;
  out.total_args = args;
  std::string page = std::string("SELECT r.rid, ") + kVersionColumns +
                     " FROM resource r JOIN resource_version v ON v.seq = r.seq" + where;
  if (q.sort.empty()) {
    if (q.after > 0) {
      page += " AND r.rid > ?";
      args.push_back(int_arg(q.after));
    }
    page += " ORDER BY r.rid LIMIT ?";
    args.push_back(int_arg(int64_t{std::max(q.count, 0)} + 1));
  } else {
    // Sort keys come first in ORDER BY; their arguments too, so they are bound before WHERE's.
    std::vector<SqlArg> sort_args;
    std::string order;
    const auto type_id = dict.type_id(q.type);
    for (const fhir::SearchSort& s : q.sort) {
      std::string key;
      if (s.param == "_id") {
        key = "r.id";
      } else if (s.param == "_lastUpdated") {
        key = "r.last_updated_us";
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
        sort_args.push_back(int_arg(type_id ? dict.param_id(*type_id, s.param).value_or(-1) : -1));
        key = std::string("(SELECT ") + agg + "(" + column + ") FROM " + table_name(s.kind) +
              " x WHERE x.rid = r.rid AND x.pid = ?)";
      }
      order += key + (s.descending ? " DESC NULLS LAST, " : " ASC NULLS LAST, ");
    }
    page += " ORDER BY " + order + "r.rid LIMIT ? OFFSET ?";
    // ORDER BY's placeholders come after WHERE's in the text.
    for (auto& a : sort_args) args.push_back(std::move(a));
    args.push_back(int_arg(int64_t{std::max(q.count, 0)} + 1));
    args.push_back(int_arg(std::max<int64_t>(q.offset, 0)));
  }
  out.page = std::move(page);
  out.page_args = std::move(args);
  return out;
}

}  // namespace healthd::storage
