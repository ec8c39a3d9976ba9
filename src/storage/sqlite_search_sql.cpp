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

std::string clause_sql(const SearchClause& c, int64_t type_id, const SqliteDictionary& dict,
                       std::vector<SqlArg>& args) {
  if (c.param == "_id") {
    if (c.missing) return *c.missing ? "0" : "1";
    std::string in;
    for (const auto& p : c.any_of) {
      in += in.empty() ? "?" : ", ?";
      args.push_back(text_arg(p.value));
    }
    return in.empty() ? "0" : "r.id IN (" + in + ")";
  }
  if (c.param == "_lastUpdated") {
    if (c.missing) return *c.missing ? "0" : "1";
    std::string out;
    for (const auto& p : c.any_of)
      out += (out.empty() ? "" : " OR ") + ranges_sql(p, "r.last_updated_us", "(r.last_updated_us + 1)", args);
    return out.empty() ? "0" : "(" + out + ")";
  }
  // A parameter never written has no rows: pid -1 matches none.
  args.push_back(int_arg(dict.param_id(type_id, c.param).value_or(-1)));
  std::string sub = std::string("SELECT x.rid FROM ") + table_name(c.kind) + " x WHERE x.pid = ?";
  if (c.missing) return (*c.missing ? "r.rid NOT IN (" : "r.rid IN (") + sub + ")";
  std::string any;
  for (const auto& p : c.any_of) any += (any.empty() ? "" : " OR ") + predicate_sql(p, args);
  if (any.empty()) any = "0";
  return "r.rid IN (" + sub + " AND (" + any + "))";
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
  if (q.type.empty()) throw std::invalid_argument("search: a type is required");
  auto type_id = dict.type_id(q.type);
  if (!type_id) return std::nullopt;
  std::vector<SqlArg> args;
  args.push_back(int_arg(type_lo(*type_id)));
  args.push_back(int_arg(type_hi(*type_id)));
  std::string where = " WHERE r.rid > ? AND r.rid < ? AND r.deleted = 0";
  for (const SearchClause& c : q.clauses) where += " AND " + clause_sql(c, *type_id, dict, args);

  SearchSql out;
  out.total = "SELECT count(*) FROM resource r" + where;
  out.total_args = args;
  if (q.after > type_lo(*type_id)) args[0] = int_arg(q.after);
  out.page = std::string("SELECT r.rid, ") + kVersionColumns +
             " FROM resource r JOIN resource_version v ON v.seq = r.seq" + where + " ORDER BY r.rid LIMIT ?";
  args.push_back(int_arg(int64_t{std::max(q.count, 0)} + 1));
  out.page_args = std::move(args);
  return out;
}

}  // namespace healthd::storage
