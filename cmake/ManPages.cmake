# Man pages generated from the built binary's --help with help2man (Debian package help2man):
# gitops-promotion(1) and one gitops-promotion-<command>(1) per subcommand, as git does. Skipped
# with a message when help2man is missing (the Dockerfile's build stage); scripts/setup.sh installs
# it, so the Debian package and `cmake --install` of a development build always carry them.
find_program(GP_HELP2MAN help2man)
if(NOT GP_HELP2MAN)
  message(STATUS "help2man not found: no man pages")
  return()
endif()

set(gp_man_dir ${PROJECT_BINARY_DIR}/man)
# command|one-line description (the NAME section)
set(gp_man_commands
    "|promote container images through GitOps environments with pull requests"
    "new|open a pull request that sets an app's image in the first environment"
    "promote|open the next environment's pull request for the merged promotion at HEAD"
    "status|wait for the previous environment's health status of a promotion pull request"
    "feature|open a review-feature pull request"
    "feature-stale|remove review features older than --max-age"
    "set-image|set an app's image in the manifests under a directory, in place"
    "lint|check gitops-promotion.yaml and the $imagepolicy markers")
set(gp_man_pages "")
foreach(entry IN LISTS gp_man_commands)
  string(FIND "${entry}" "|" bar)
  string(SUBSTRING "${entry}" 0 ${bar} command)
  math(EXPR rest "${bar} + 1")
  string(SUBSTRING "${entry}" ${rest} -1 description)
  if(command STREQUAL "")
    set(name gitops-promotion)
  else()
    set(name gitops-promotion-${command})
  endif()
  # help2man names the page after the program it runs: a wrapper named like the page runs the
  # subcommand's --help.
  file(GENERATE OUTPUT ${gp_man_dir}/bin/${name}
       CONTENT "#!/bin/sh\nexec '$<TARGET_FILE:gitops-promotion>' ${command} \"$@\"\n"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                        WORLD_EXECUTE)
  set(page ${gp_man_dir}/${name}.1.gz)
  add_custom_command(
    OUTPUT ${page}
    # SOURCE_DATE_EPOCH: the page's date is the release's, not the build's (reproducible builds).
    COMMAND ${CMAKE_COMMAND} -E env SOURCE_DATE_EPOCH=1796292000 ${GP_HELP2MAN} --no-info
            --section=1 --version-string=${PROJECT_VERSION} --name=${description}
            --source=gitops-promotion --manual=gitops-promotion --output=${gp_man_dir}/${name}.1
            ${gp_man_dir}/bin/${name}
    # Compressed as Debian policy wants (gzip -9n: no name or time stamp in the header).
    COMMAND gzip -9nf ${gp_man_dir}/${name}.1
    DEPENDS gitops-promotion ${PROJECT_SOURCE_DIR}/cmake/ManPages.cmake
    COMMENT "man page ${name}(1)"
    VERBATIM)
  list(APPEND gp_man_pages ${page})
endforeach()
add_custom_target(man ALL DEPENDS ${gp_man_pages})
install(FILES ${gp_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
