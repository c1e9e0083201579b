#include <nlohmann/json.hpp>

#include "sandbox/sandbox.hpp"
