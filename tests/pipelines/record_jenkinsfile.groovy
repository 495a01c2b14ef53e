// Evaluates a Jenkinsfile with real Groovy and a recording DSL, and prints what it declared as JSON: every call
// (pipeline, stage, when, branch, steps, sh, input, ...) as {name, args, children}. No Jenkins runs here: this reads
// the file the way Groovy parses and runs it, not the way Jenkins' declarative linter validates it.
//
//   groovy record_jenkinsfile.groovy JENKINSFILE SH_STATUS [NAME=VALUE ...]
//
// SH_STATUS is what every `sh` step answers (its exit code); the pairs are `env`, e.g. BRANCH_NAME=develop.

import groovy.json.JsonOutput
import org.codehaus.groovy.control.CompilerConfiguration

abstract class RecordingScript extends Script {
    Map root = [name: 'root', args: [], children: []]
    List<Map> open = [root]

    // A Jenkins step or directive the script calls: recorded, its closure (if any) run to record what is inside.
    // It returns the binding's shStatus, which is what `sh(returnStatus: true)` answers: the command's exit code.
    def methodMissing(String name, Object args) {
        Map node = [name: name, args: [], children: []]
        open[-1].children << node
        Closure body = null
        for (Object arg : (Object[]) args) {
            if (arg instanceof Closure) {
                body = (Closure) arg
            } else {
                node.args << plain(arg)
            }
        }
        if (body != null) {
            open << node
            try {
                body.call()
            } finally {
                open.remove(open.size() - 1)
            }
        }
        return binding.getVariable('shStatus')
    }

    // A bare word such as `any` in `agent any`.
    def propertyMissing(String name) {
        return [word: name]
    }

    static Object plain(Object value) {
        if (value instanceof Map) {
            return value.collectEntries { k, v -> [(k.toString()): plain(v)] }
        }
        if (value instanceof List) {
            return value.collect { plain(it) }
        }
        if (value instanceof GString) {
            return value.toString()
        }
        return value
    }
}

def jenkinsfile = new File(args[0])
def shStatus = args[1] as int
def env = args.drop(2).collectEntries { String pair -> def (k, v) = pair.split('=', 2); [(k): v] }
def config = new CompilerConfiguration()
config.scriptBaseClass = RecordingScript.name
def shell = new GroovyShell(this.class.classLoader, new Binding([env: env, shStatus: shStatus]), config)
def script = (RecordingScript) shell.parse(jenkinsfile)
script.run()
println JsonOutput.toJson(script.root)
