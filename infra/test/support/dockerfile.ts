import { readFileSync } from 'node:fs';
import { DockerfileParser, Instruction } from 'dockerfile-ast';

export interface DockerStage {
  /** The name after AS, or null for an unnamed stage. */
  name: string | null;
  /** The image or stage this stage starts FROM (unresolved, e.g. ${NODE_IMAGE}). */
  from: string;
  instructions: Instruction[];
}

/** The stages of a Dockerfile in order, each with the instructions after its FROM. */
export function readDockerStages(path: string): DockerStage[] {
  const dockerfile = DockerfileParser.parse(readFileSync(path, 'utf8'));
  const froms = dockerfile.getFROMs();
  const all = dockerfile.getInstructions();
  return froms.map((from, i) => {
    const start = from.getRange().start.line;
    const end = i + 1 < froms.length ? froms[i + 1].getRange().start.line : Number.MAX_SAFE_INTEGER;
    return {
      name: from.getBuildStage(),
      from: from.getImage() ?? '',
      instructions: all.filter((ins) => {
        const line = ins.getRange().start.line;
        return line > start && line < end;
      }),
    };
  });
}

export function keyword(instruction: Instruction): string {
  return instruction.getKeyword().toUpperCase();
}
