import { concat, u16 } from '../bytes.ts';
import { CapError } from './cap-error.ts';
import { ComponentCursor } from './component-cursor.ts';
import { buildComponent } from './components.ts';

export interface CapApplet {
  /** Executable Module AID: the AID INSTALL [for install] names. */
  aid: Uint8Array;
  /** Offset of the applet's static install() method in the Method component's info. */
  installMethodOffset: number;
}

/**
 * Parses the Applet component (JCVM §6.5):
 * `applet_component { u1 tag; u2 size; u1 count; { u1 AID_length; u1 AID[]; u2 install_method_offset }[count] }`.
 * A present component must name at least one applet.
 */
export function parseAppletComponent(bytes: Uint8Array): CapApplet[] {
  const c = new ComponentCursor('Applet', bytes);
  const count = c.u1('applet count');
  if (count === 0) throw new CapError('BAD_COMPONENT', 'applet count is 0', { component: 'Applet', offset: 3 });
  const applets: CapApplet[] = [];
  for (let i = 0; i < count; i++) {
    const aid = c.aid(`applet ${i} AID`);
    applets.push({ aid, installMethodOffset: c.u2(`applet ${i} install_method_offset`) });
  }
  c.end();
  return applets;
}

export function buildAppletComponent(applets: readonly CapApplet[]): Uint8Array {
  const entries = applets.map((a) => concat(new Uint8Array([a.aid.length]), a.aid, u16(a.installMethodOffset)));
  return buildComponent('Applet', concat(new Uint8Array([applets.length]), ...entries));
}
