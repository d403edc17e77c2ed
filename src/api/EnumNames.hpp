// EnumNames: the table between an API enum and its wire names, shared by parsing, printing and error messages.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace launch::api {

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

template <typename E>
std::string_view enumName(std::span<const EnumName<E>> names, E value) {
  for (const auto& entry : names) {
    if (entry.value == value) return entry.name;
  }
  return "";
}

template <typename E>
std::optional<E> enumValue(std::span<const EnumName<E>> names, std::string_view name) {
  for (const auto& entry : names) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

// "critical, high, medium, low": for messages that list what is allowed.
template <typename E>
std::string enumList(std::span<const EnumName<E>> names) {
  std::string list;
  for (const auto& entry : names) {
    if (!list.empty()) list += ", ";
    list += entry.name;
  }
  return list;
}

}  // namespace launch::api
