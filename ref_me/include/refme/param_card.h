// refme/param_card.h -- SLHA param-card reader and parameter names (host only).
//
// Reads the entries of the sm model from Block MASS, Block SMINPUTS, Block YUKAWA
// and the DECAY lines. Every other block is skipped. A value that does not parse
// in one of those blocks, or a missing required entry, is an error that names the
// line or the entry; nothing here throws across the C ABI (the glue catches).
#ifndef REFME_PARAM_CARD_H
#define REFME_PARAM_CARD_H

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "sm_model.h"

REFME_BEGIN_NAMESPACE

inline std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

namespace detail {

struct CardEntry {
    const char* block;  // "mass", "sminputs", "yukawa", "decay"
    int id;
    const char* name;   // param-card name (case-insensitive for lookups)
    double SmInputs::*field;
    bool required;
};

inline const CardEntry* card_entries(int& n) {
    static const CardEntry entries[] = {
        {"sminputs", 1, "aEWM1", &SmInputs::aEWM1, true},
        {"sminputs", 2, "Gf", &SmInputs::Gf, true},
        {"sminputs", 3, "aS", &SmInputs::aS, true},
        {"mass", 5, "MB", &SmInputs::MB, true},
        {"mass", 6, "MT", &SmInputs::MT, true},
        {"mass", 15, "MTA", &SmInputs::MTA, true},
        {"mass", 23, "MZ", &SmInputs::MZ, true},
        {"mass", 25, "MH", &SmInputs::MH, true},
        {"decay", 6, "WT", &SmInputs::WT, true},
        {"decay", 23, "WZ", &SmInputs::WZ, true},
        {"decay", 24, "WW", &SmInputs::WW, true},
        {"decay", 25, "WH", &SmInputs::WH, true},
        {"yukawa", 5, "ymb", &SmInputs::ymb, false},
        {"yukawa", 6, "ymt", &SmInputs::ymt, false},
        {"yukawa", 15, "ymtau", &SmInputs::ymtau, false},
    };
    n = static_cast<int>(sizeof(entries) / sizeof(entries[0]));
    return entries;
}

inline bool parse_double(const std::string& s, double& out) {
    if (s.empty()) return false;
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return end != nullptr && *end == '\0' && std::isfinite(out);
}

inline bool parse_int(const std::string& s, int& out) {
    if (s.empty()) return false;
    char* end = nullptr;
    const long v = std::strtol(s.c_str(), &end, 10);
    out = static_cast<int>(v);
    return end != nullptr && *end == '\0';
}

}  // namespace detail

// Reads `path` into `out` (starting from the defaults). Returns false and sets
// `error` on a missing file, an unparsable entry or a missing required entry.
inline bool read_param_card(const std::string& path, SmInputs& out, std::string& error) {
    std::ifstream file(path);
    if (!file) {
        error = "cannot open param card '" + path + "' (check the path)";
        return false;
    }
    int n = 0;
    const detail::CardEntry* entries = detail::card_entries(n);
    bool seen[32] = {false};
    SmInputs result;
    std::string line, block;
    int lineno = 0;
    while (std::getline(file, line)) {
        ++lineno;
        const auto hash = line.find('#');
        if (hash != std::string::npos) line.erase(hash);
        std::istringstream tokens(line);
        std::string first;
        if (!(tokens >> first)) continue;
        const std::string key = lower(first);
        const std::string where = "param card '" + path + "' line " + std::to_string(lineno);
        if (key == "block") {
            std::string name;
            if (!(tokens >> name)) {
                error = where + ": 'Block' without a name";
                return false;
            }
            block = lower(name);
            continue;
        }
        int id = 0;
        double value = 0.0;
        if (key == "decay") {
            std::string sid, sval;
            if (!(tokens >> sid >> sval) || !detail::parse_int(sid, id) ||
                !detail::parse_double(sval, value)) {
                error = where + ": expected 'DECAY <pdg id> <width>'";
                return false;
            }
            block = "decay-table";  // branching-ratio lines follow; they are not read
            for (int k = 0; k < n; ++k)
                if (std::string(entries[k].block) == "decay" && entries[k].id == id) {
                    result.*(entries[k].field) = value;
                    seen[k] = true;
                }
            continue;
        }
        if (block != "mass" && block != "sminputs" && block != "yukawa") continue;
        std::string sval;
        if (!detail::parse_int(first, id) || !(tokens >> sval) ||
            !detail::parse_double(sval, value)) {
            error = where + ": expected '<id> <value>' in Block " + block;
            return false;
        }
        for (int k = 0; k < n; ++k)
            if (block == entries[k].block && entries[k].id == id) {
                result.*(entries[k].field) = value;
                seen[k] = true;
            }
    }
    for (int k = 0; k < n; ++k)
        if (entries[k].required && !seen[k]) {
            const bool is_decay = std::string(entries[k].block) == "decay";
            error = "param card '" + path + "' lacks " + entries[k].name + " (" +
                    (is_decay ? std::string("DECAY ") : "Block " + std::string(entries[k].block) + " ") +
                    std::to_string(entries[k].id) + ")";
            return false;
        }
    out = result;
    return true;
}

// Param-card name (case-insensitive, optional "mdl_" prefix) -> canonical lower name.
inline std::string canonical_parameter(const char* name) {
    std::string s = lower(name ? name : "");
    if (s.rfind("mdl_", 0) == 0) s = s.substr(4);
    return s;
}

// Sets an external parameter; the caller re-derives the dependent ones.
inline bool set_sm_parameter(SmInputs& in, const char* name, double value, std::string& error) {
    const std::string key = canonical_parameter(name);
    int n = 0;
    const detail::CardEntry* entries = detail::card_entries(n);
    for (int k = 0; k < n; ++k)
        if (lower(entries[k].name) == key) {
            if (!std::isfinite(value)) {
                error = std::string("parameter ") + entries[k].name + " must be finite";
                return false;
            }
            const bool positive = key == "aewm1" || key == "gf" || key == "as" || key == "mz";
            if (positive ? !(value > 0.0) : value < 0.0) {
                error = std::string("parameter ") + entries[k].name +
                        (positive ? " must be > 0" : " must be >= 0");
                return false;
            }
            SmInputs trial = in;
            trial.*(entries[k].field) = value;
            if (!std::isfinite(derive_sm(trial).MW)) {
                error = std::string("parameter ") + entries[k].name +
                        ": MW derived from aEWM1, Gf, MZ would not be real";
                return false;
            }
            in = trial;
            return true;
        }
    static const char* derived[] = {"mw", "aew", "ee", "sw2", "cw", "sw", "g1", "gw", "g"};
    for (const char* d : derived)
        if (key == d) {
            error = std::string("parameter ") + name +
                    " is derived from the card inputs and can only be read";
            return false;
        }
    error = std::string("unknown parameter '") + (name ? name : "(null)") +
            "'; known: aEWM1 Gf aS MZ MT MB MH MTA WZ WT WW WH ymb ymt ymtau "
            "(read-only: MW aEW ee sw2 cw sw g1 gw G)";
    return false;
}

inline bool get_sm_parameter(const SmParameters& s, const char* name, double& value) {
    const std::string key = canonical_parameter(name);
    int n = 0;
    const detail::CardEntry* entries = detail::card_entries(n);
    for (int k = 0; k < n; ++k)
        if (lower(entries[k].name) == key) {
            value = s.in.*(entries[k].field);
            return true;
        }
    struct Derived { const char* name; double SmParameters::*field; };
    static const Derived derived[] = {{"mw", &SmParameters::MW}, {"aew", &SmParameters::aEW},
                                      {"ee", &SmParameters::ee}, {"sw2", &SmParameters::sw2},
                                      {"cw", &SmParameters::cw}, {"sw", &SmParameters::sw},
                                      {"g1", &SmParameters::g1}, {"gw", &SmParameters::gw},
                                      {"g", &SmParameters::G}};
    for (const Derived& d : derived)
        if (key == d.name) {
            value = s.*(d.field);
            return true;
        }
    return false;
}

REFME_END_NAMESPACE

#endif  // REFME_PARAM_CARD_H
