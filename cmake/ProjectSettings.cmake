# Compiler settings shared by every target: linked PRIVATE as gp_settings / gp_warnings.
add_library(gp_settings INTERFACE)
target_compile_features(gp_settings INTERFACE cxx_std_20)

add_library(gp_warnings INTERFACE)
target_compile_options(gp_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                             -Wold-style-cast -Wcast-align -Woverloaded-virtual)
if(GP_WARNINGS_AS_ERRORS)
  target_compile_options(gp_warnings INTERFACE -Werror)
endif()

if(GP_SANITIZE)
  # ASan + UBSan for the whole build, tests included; UBSan findings abort so ctest sees them.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
